"""pyinstrument profiles of a timed phase, boiled down to a few lines for the report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pyinstrument import Profiler
from pyinstrument.frame import Frame

IDLE = "idle: event loop waiting for I/O (PostgreSQL, Kafka)"

# First match wins; a frame without a recognised file inherits its caller's category
# (C functions, Cython code called from a Python frame).
_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("/sqlalchemy/", "SQLAlchemy (engine, pool, connection, asyncpg adapter)"),
    ("/asyncpg/", "asyncpg (Python layer)"),
    ("/pydantic", "pydantic (model_dump)"),
    ("/backoffice_events/", "backoffice_events (EventStore.append and helpers)"),
    ("/aiokafka/", "aiokafka"),
    ("/asyncio/", "asyncio (loop, tasks, transports; includes asyncpg's Cython protocol callbacks)"),
    ("/uuid.py", "uuid"),
    ("/rich/", "rich (progress)"),
    ("/bench/", "benchmark harness"),
)


@dataclass
class Profile:
    """Samples the event loop thread during one timed phase."""

    interval: float = 0.001
    profiler: Profiler | None = None
    sessions: list[Profiler] = field(default_factory=list)

    def start(self) -> None:
        self.profiler = Profiler(interval=self.interval, async_mode="disabled")
        self.profiler.start()

    def stop(self) -> None:
        if self.profiler is not None:
            self.profiler.stop()


def _category(frame: Frame, inherited: str) -> str:
    path = frame.file_path or ""
    if frame.function in ("select", "poll", "control") and path.endswith("selectors.py"):
        return IDLE
    for needle, name in _CATEGORIES:
        if needle in path:
            return name
    if not path or path.startswith("<"):
        return inherited
    return "other Python (stdlib, contextvars, ...)"


def _walk(
    frame: Frame,
    inherited: str,
    by_category: dict[str, float],
    by_function: dict[str, float],
    inclusive: dict[str, float],
    on_stack: set[str],
) -> None:
    category = _category(frame, inherited) if not frame.is_synthetic else inherited
    name = f"{frame.function} ({_short(frame.file_path)}:{frame.line_no})"
    self_time = frame.total_self_time
    by_category[category] += self_time
    if category != IDLE:
        by_function[name] += self_time
    if name not in on_stack:  # count recursion once
        inclusive[name] += frame.time
    for child in frame.children:
        if not child.is_synthetic:
            _walk(child, category, by_category, by_function, inclusive, on_stack | {name})


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", "/src/", "/lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return Path(path).name


def profile_summary(
    profile: Profile,
    *,
    wall_seconds: float,
    events: int,
    cpu: dict[str, float],
    html_path: Path,
) -> list[str]:
    """Markdown lines: where the benchmark process spent its time during the phase."""
    if profile.profiler is None or profile.profiler.last_session is None:
        return ["(no profile recorded)"]
    session = profile.profiler.last_session
    root = session.root_frame()
    if root is None:
        return ["(the profile is empty)"]
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(profile.profiler.output_html())
    by_category: dict[str, float] = defaultdict(float)
    by_function: dict[str, float] = defaultdict(float)
    inclusive: dict[str, float] = defaultdict(float)
    _walk(root, "other Python (stdlib, contextvars, ...)", by_category, by_function, inclusive, set())
    total = sum(by_category.values()) or 1.0
    busy = total - by_category.get(IDLE, 0.0)
    lines = [
        f"Profiled run of ours (pyinstrument {_version()}, event loop thread sampled every "
        f"{profile.interval * 1e3:.0f} ms, not counted in the numbers above): {events:,} events in "
        f"{wall_seconds:.2f} s = {events / wall_seconds:,.0f} events/s under the profiler. "
        f"CPU in that run: benchmark process {cpu.get('client', 0.0):.2f} s, its PostgreSQL backends "
        f"{cpu.get('postgres', 0.0):.2f} s.",
        "",
        f"The event loop thread was busy (not waiting in `select`) {busy / total:.0%} of the time and idle "
        f"(waiting for I/O) {by_category.get(IDLE, 0.0) / total:.0%}; "
        f"{busy / events * 1e6:,.0f} µs of busy wall time per event. Busy time by library:",
        "",
        "| where | share of busy time | µs per event |",
        "|---|---:|---:|",
    ]
    cpu_share = cpu.get("client", 0.0) / wall_seconds if wall_seconds else 0.0
    if cpu_share < busy / total - 0.15:
        lines[-4:-4] = [
            'pyinstrument samples wall-clock time, so "busy" below includes the event loop thread '
            f"waiting for a core: the process got {cpu_share:.0%} of a core ({cpu.get('client', 0.0):.2f} "
            f"CPU-s in {wall_seconds:.2f} s). That waiting shows up mostly as `socket.send`, most likely "
            "because sending a query wakes the PostgreSQL backend, which on a machine with few busy cores "
            "takes the CPU from the sender. Read the shares as wall-clock shares.",
            "",
        ]
    for name, seconds in sorted(by_category.items(), key=lambda kv: -kv[1]):
        if name == IDLE or seconds <= 0:
            continue
        lines.append(f"| {name} | {seconds / busy:.0%} | {seconds / events * 1e6:,.1f} |")
    lines += [
        "",
        "Hottest functions by self time:",
        "",
        "| function | self time share of busy |",
        "|---|---:|",
    ]
    for name, seconds in sorted(by_function.items(), key=lambda kv: -kv[1])[:12]:
        lines.append(f"| `{name}` | {seconds / busy:.1%} |")
    ours = {n: t for n, t in inclusive.items() if "backoffice_events/" in n}
    if ours:
        lines += ["", "Inclusive time of backoffice_events functions (share of busy time):", ""]
        for name, seconds in sorted(ours.items(), key=lambda kv: -kv[1])[:6]:
            lines.append(f"- `{name}`: {seconds / busy:.0%}")
    lines += ["", f"Full profile: `{_relative(html_path)}` (not committed; open it in a browser)."]
    return lines


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path(__file__).resolve().parents[1]))
    except ValueError:
        return str(path)


def _version() -> str:
    from importlib import metadata

    return metadata.version("pyinstrument")
