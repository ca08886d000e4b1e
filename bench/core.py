"""What every benchmark shares: where the servers are, fresh databases and topics, results,
progress, CPU accounting and machine facts."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import os
import platform
import re
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from rich.progress import Progress, TaskID
from sqlalchemy.ext.asyncio import create_async_engine

from backoffice_events.catalog import EVENT_TOPICS
from backoffice_events.kafka import (
    KafkaConfig,
    delete_topics,
    ensure_topics,
    event_topic_specs,
    reliable_producer,
)
from backoffice_events.migrate import EVENT_STORE_MIGRATIONS, apply_migrations

ROOT = Path(__file__).resolve().parents[1]
LOCAL = ROOT / ".local" / "bench"


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class BenchEnv:
    """Addresses of the servers the benchmarks run against."""

    pg_server: str  # postgresql://user@host:port, no database
    kafka_bootstrap: str

    @classmethod
    def from_environment(cls, pg_server: str | None = None, kafka: str | None = None) -> BenchEnv:
        database = pg_server or os.environ.get("DATABASE_URL")
        server = (
            strip_database(database)
            if database
            else f"postgresql://backoffice@127.0.0.1:{os.environ.get('PG_PORT', '15432')}"
        )
        bootstrap = (
            kafka
            or os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
            or f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}"
        )
        return cls(server, bootstrap)

    def dsn(self, database: str) -> str:
        return f"{self.pg_server}/{database}"

    def sqlalchemy_url(self, database: str) -> str:
        return self.dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def strip_database(url: str) -> str:
    """``postgresql://u@h:p/db?x`` -> ``postgresql://u@h:p``."""
    url = url.replace("postgresql+asyncpg://", "postgresql://", 1).replace("postgres://", "postgresql://", 1)
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


@dataclass(frozen=True)
class Database:
    name: str
    dsn: str  # asyncpg / libpq URL
    url: str  # SQLAlchemy URL


@asynccontextmanager
async def fresh_database(env: BenchEnv, *, migrate: bool = True) -> AsyncIterator[Database]:
    """``CREATE DATABASE bench_<uuid>`` with the event store migrations; dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(env.dsn("postgres"))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        db = Database(name, env.dsn(name), env.sqlalchemy_url(name))
        if migrate:
            engine = create_async_engine(db.url)
            try:
                await apply_migrations(engine, [EVENT_STORE_MIGRATIONS])
            finally:
                await engine.dispose()
        yield db
    finally:
        admin = await asyncpg.connect(env.dsn("postgres"))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@asynccontextmanager
async def bench_topics(env: BenchEnv, partitions: int = 6) -> AsyncIterator[KafkaConfig]:
    """The event topics under a unique prefix (``bench<hex>.``); deleted afterwards."""
    config = KafkaConfig(env.kafka_bootstrap, f"bench{uuid.uuid4().hex[:10]}.", "backoffice-bench")
    created = await ensure_topics(config, event_topic_specs(partitions=partitions))
    try:
        await _warm_topics(config, partitions)
        yield config
    finally:
        await delete_topics(config, created)


async def _warm_topics(config: KafkaConfig, partitions: int) -> None:
    """One record to every partition of every event topic, so leaders are elected and known
    before anything is timed (fresh topics answer NotLeaderForPartition for a moment)."""
    producer = reliable_producer(config)
    await producer.start()
    try:
        futures = [
            await producer.send(config.topic(topic), value=b"{}", partition=p)
            for topic in EVENT_TOPICS
            for p in range(partitions)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def checkpoint(dsn: str) -> None:
    """Flush dirty buffers before a timed phase so a checkpoint does not land inside it."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def backend_pids(dsn: str) -> list[int]:
    """PostgreSQL backends connected to the database of ``dsn`` (for CPU accounting)."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [int(r["pid"]) for r in rows]
    finally:
        await conn.close()


# --------------------------------------------------------------------------- CPU accounting


def _cpu_seconds(pid: int) -> float | None:
    try:
        times = psutil.Process(pid).cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return float(times.user + times.system)


def kafka_pids() -> list[int]:
    pids = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmdline = proc.info.get("cmdline") or []
        if proc.info.get("name") == "java" and any("kafka.Kafka" in part for part in cmdline):
            pids.append(proc.pid)
    return pids


@dataclass
class CpuMeter:
    """CPU seconds burnt by this process, some PostgreSQL backends and Kafka in a phase."""

    pg_pids: list[int] = field(default_factory=list)
    broker_pids: list[int] = field(default_factory=list)
    _start: dict[str, dict[int, float]] = field(default_factory=dict)
    _machine: tuple[float, float] = (0.0, 0.0)

    def _sample(self) -> dict[str, dict[int, float]]:
        groups = {"client": [os.getpid()], "postgres": self.pg_pids, "kafka": self.broker_pids}
        out: dict[str, dict[int, float]] = {}
        for group, pids in groups.items():
            out[group] = {}
            for pid in pids:
                value = _cpu_seconds(pid)
                if value is not None:
                    out[group][pid] = value
        return out

    @staticmethod
    def _machine_sample() -> tuple[float, float]:
        """(busy, total) CPU seconds of the whole machine, all cores."""
        t = psutil.cpu_times()
        total = float(sum(t))
        idle = float(t.idle + getattr(t, "iowait", 0.0))
        return total - idle, total

    def start(self) -> None:
        self._start = self._sample()
        self._machine = self._machine_sample()

    def stop(self) -> dict[str, float]:
        """CPU seconds per group, and ``machine_busy``: the share (0..1) of all cores busy."""
        end = self._sample()
        busy, total = self._machine_sample()
        out = {
            group: sum(end[group][pid] - before for pid, before in pids.items() if pid in end[group])
            for group, pids in self._start.items()
            if pids
        }
        elapsed = total - self._machine[1]
        out["machine_busy"] = (busy - self._machine[0]) / elapsed if elapsed > 0 else 0.0
        return out


# --------------------------------------------------------------------------- results


@dataclass
class Metric:
    key: str
    label: str
    value: float
    unit: str


@dataclass
class BenchResult:
    """What a benchmark reports; stored in docs/benchmarks.json under its name."""

    name: str
    title: str
    params: dict[str, Any]
    metrics: list[Metric]  # raw numbers: ours first, then the baselines
    ratios: list[Metric] = field(default_factory=list)  # same-run ratios, unit "x"
    measurements: dict[str, float] = field(default_factory=dict)  # target id -> value
    notes: list[str] = field(default_factory=list)  # markdown lines for the report
    profile: list[str] = field(default_factory=list)  # markdown lines (only with --profile)
    findings: list[str] = field(default_factory=list)  # bottleneck analysis, markdown lines
    machine: dict[str, str] = field(default_factory=dict)  # set by bench.run
    measured_at: str = ""
    duration_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchResult:
        values = dict(data)
        values["metrics"] = [Metric(**m) for m in data.get("metrics", [])]
        values["ratios"] = [Metric(**m) for m in data.get("ratios", [])]
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in values.items() if k in known})

    def metric(self, key: str) -> float:
        for m in self.metrics:
            if m.key == key:
                return m.value
        raise KeyError(key)


@dataclass
class BenchContext:
    """Everything a benchmark run gets."""

    env: BenchEnv
    size: int
    progress: Progress
    rounds: int = 3
    seconds: float | None = None  # duration of fixed-rate / sustained benchmarks
    rate: float | None = None  # events (or requests) per second of fixed-rate benchmarks
    profile: bool = False
    artifacts: Path = LOCAL  # where profiles and other large outputs go (not committed)

    def counter(self, label: str, total: float | None) -> Counter:
        return Counter(self.progress, self.progress.add_task(label, total=total))


@dataclass
class Counter:
    """A progress bar that writers advance (thread-safe: rich locks internally)."""

    progress: Progress
    task: TaskID

    def advance(self, n: float = 1) -> None:
        self.progress.advance(self.task, n)

    def done(self) -> None:
        self.progress.update(self.task, visible=False)


@dataclass(frozen=True)
class Benchmark:
    """One entry of ``bench.run.BENCHMARKS``.

    ``size`` means whatever the benchmark counts (events, requests, orders); ``tiny_size``
    is what tests/bench runs so that the benchmark cannot rot.
    """

    name: str
    title: str
    run: Callable[[BenchContext], Awaitable[BenchResult]]
    default_size: int
    tiny_size: int
    size_unit: str = "events"


# --------------------------------------------------------------------------- statistics


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def median(values: Iterable[float]) -> float:
    return float(statistics.median(list(values)))


def rotate(items: Sequence[str], n: int) -> list[str]:
    """The variants in a different order each round, so no variant always goes first."""
    k = n % len(items)
    return [*items[k:], *items[:k]]


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.started


# --------------------------------------------------------------------------- machine facts


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _os_name() -> str:
    try:
        pretty = platform.freedesktop_os_release().get("PRETTY_NAME", platform.system())
    except OSError:
        pretty = platform.system()
    return f"{pretty}, kernel {platform.release()}"


def kafka_version() -> str:
    """The broker version the local stack pins (deploy/local/versions.env, env overrides)."""
    if os.environ.get("KAFKA_VERSION"):
        return os.environ["KAFKA_VERSION"]
    versions = ROOT / "deploy" / "local" / "versions.env"
    match = re.search(r'KAFKA_VERSION="\$\{KAFKA_VERSION:-([^}]+)\}"', versions.read_text())
    return match.group(1) if match else "unknown"


def _package_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def fdatasync_ms(folder: Path = LOCAL, count: int = 100) -> tuple[float, float]:
    """p50 and p99 of writing 8 KiB and ``fdatasync`` (what a commit waits for) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fsync-probe-{uuid.uuid4().hex[:8]}"
    block = os.urandom(8192)
    times: list[float] = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(count):
            started = time.perf_counter()
            os.write(fd, block)
            os.fdatasync(fd)
            times.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink(missing_ok=True)
    return percentile(times, 50) * 1e3, percentile(times, 99) * 1e3


async def machine_facts(env: BenchEnv) -> dict[str, str]:
    conn = await asyncpg.connect(env.dsn("postgres"))
    try:
        pg_version = str(await conn.fetchval("SHOW server_version"))
        settings = {
            name: str(await conn.fetchval(f"SHOW {name}"))
            for name in ("fsync", "synchronous_commit", "shared_buffers", "max_wal_size")
        }
    finally:
        await conn.close()
    memory = psutil.virtual_memory().total
    libs = ", ".join(
        f"{p} {_package_version(p)}"
        for p in ("asyncpg", "SQLAlchemy", "aiokafka", "pydantic", "eventsourcing", "psycopg")
    )
    return {
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count() or 0),
        "ram": f"{memory / 2**30:.1f} GiB",
        "os": _os_name(),
        "disk": "8 KiB write + fdatasync in .local/ (where the local stack keeps PostgreSQL's data): "
        "p50 {:.2f} ms, p99 {:.2f} ms".format(*fdatasync_ms()),
        "python": platform.python_version(),
        "postgresql": f"{pg_version} ({', '.join(f'{k}={v}' for k, v in settings.items())})",
        "kafka": f"{kafka_version()} (single broker, KRaft)",
        "libraries": libs,
    }
