"""docs/benchmarks.json (merged results) and docs/benchmarks.md (rendered from it)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .core import BenchResult, Metric
from .targets import TARGETS, Target, format_number

SCHEMA = 1


def load(path: Path) -> dict[str, BenchResult]:
    """The results stored so far (none if the file is missing or unreadable)."""
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return {}
    return {name: BenchResult.from_json(entry) for name, entry in data.get("results", {}).items()}


def merge(old: dict[str, BenchResult], new: Iterable[BenchResult]) -> dict[str, BenchResult]:
    """New results replace old ones of the same benchmark; the others stay (measured earlier).

    A result without a profile keeps the previous profile of that benchmark, labelled with
    its date, so a run without ``--profile`` does not lose it."""
    merged = dict(old)
    for result in new:
        previous = old.get(result.name)
        if not result.profile and previous is not None and previous.profile:
            first = previous.profile[0]
            if not first.startswith("_From the profiled run of"):
                result.profile = [
                    f"_From the profiled run of {previous.measured_at}:_",
                    "",
                    *previous.profile,
                ]
            else:
                result.profile = list(previous.profile)
        merged[result.name] = result
    return dict(sorted(merged.items()))


def save(path: Path, results: dict[str, BenchResult], machine: dict[str, str], generated_at: str) -> None:
    data: dict[str, Any] = {
        "schema": SCHEMA,
        "generated_at": generated_at,
        "machine": machine,
        "targets": [
            {
                "id": t.id,
                "what": t.what,
                "op": t.op,
                "value": t.value,
                "unit": t.unit,
                "benchmark": t.benchmark,
            }
            for t in TARGETS
        ],
        "results": {name: r.to_json() for name, r in results.items()},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _measured(results: dict[str, BenchResult], target: Target) -> tuple[float, BenchResult] | None:
    for result in results.values():
        if target.id in result.measurements:
            return result.measurements[target.id], result
    return None


def _status(target: Target, value: float) -> str:
    return "met" if target.met(value) else "**missed**"


def _date(result: BenchResult) -> str:
    return result.measured_at[:10]


def _ordered(results: dict[str, BenchResult]) -> dict[str, BenchResult]:
    """Benchmarks in the order of the targets they measure, the others after them by name."""
    preferred = list(dict.fromkeys(t.benchmark for t in TARGETS))
    rank = {name: i for i, name in enumerate(preferred)}
    return dict(sorted(results.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))


def render(results: dict[str, BenchResult], machine: dict[str, str], generated_at: str) -> str:
    results = _ordered(results)
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`python -m bench.run`), last on {generated_at}. Every benchmark runs its "
        "baselines in the same run against the same PostgreSQL and Kafka, so the ratios are the numbers "
        "that carry over between machines; the raw numbers belong to the machine described at the end. "
        'Targets are those of DESIGN.md, "Performance targets".',
        "",
        "## Ratios (same run, same machine)",
        "",
        "| ratio | measured | target | status | benchmark | measured |",
        "|---|---:|---:|---|---|---|",
    ]
    target_ratio_ids = set()
    for target in (t for t in TARGETS if t.ratio):
        target_ratio_ids.add(target.id)
        found = _measured(results, target)
        if found is None:
            lines.append(
                f"| {target.what} | not measured yet | {target.describe()} | - | {target.benchmark} | - |"
            )
        else:
            value, result = found
            lines.append(
                f"| {target.what} | {format_number(value, 'x')} | {target.describe()} | "
                f"{_status(target, value)} | {result.name} | {_date(result)} |"
            )
    for result in results.values():
        for ratio in result.ratios:
            if ratio.key in target_ratio_ids:
                continue
            lines.append(
                f"| {result.title}: {ratio.label} | {format_number(ratio.value, 'x')} | (no target) | - | "
                f"{result.name} | {_date(result)} |"
            )
    lines += [
        "",
        "## Raw numbers vs targets",
        "",
        "| what | measured | target | status | benchmark | measured |",
        "|---|---:|---:|---|---|---|",
    ]
    for target in (t for t in TARGETS if not t.ratio):
        found = _measured(results, target)
        if found is None:
            lines.append(
                f"| {target.what} | not measured yet | {target.describe()} | - | {target.benchmark} | - |"
            )
        else:
            value, result = found
            lines.append(
                f"| {target.what} | {format_number(value, target.unit)} | {target.describe()} | "
                f"{_status(target, value)} | {result.name} | {_date(result)} |"
            )
    findings = [(r, r.findings) for r in results.values() if r.findings]
    if findings:
        lines += ["", "## Findings: bottlenecks and what it would take", ""]
        for result, items in findings:
            lines += [f"**{result.title}** (`{result.name}`)", "", *items, ""]
    lines += ["", "## Details", ""]
    for result in results.values():
        lines += _details(result)
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in machine.items()]
    others = [r for r in results.values() if r.machine and _box(r.machine) != _box(machine)]
    if others:
        lines += ["", "Measured on another machine:", ""]
        lines += [f"- `{r.name}` ({_date(r)}): {_box(r.machine)}" for r in others]
    lines += [
        "",
        "## How to run",
        "",
        "```",
        "make bench                                      # everything, default sizes; rewrites this file",
        ".venv/bin/python -m bench.run --list            # the benchmarks and their default sizes",
        ".venv/bin/python -m bench.run --only store-single --size 5000 --profile",
        "```",
        "",
        "A run of some benchmarks keeps the others' last results (docs/benchmarks.json holds them all).",
        "",
    ]
    return "\n".join(lines)


def _box(machine: dict[str, str]) -> str:
    return f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('ram', '?')}"


def _metric_row(m: Metric) -> str:
    return f"| {m.label} | {format_number(m.value, m.unit)} |"


def _details(result: BenchResult) -> list[str]:
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    lines = [
        f"### {result.title} (`{result.name}`)",
        "",
        f"Measured {result.measured_at} in {result.duration_s:.0f} s; parameters: {params}.",
        "",
        "| metric | value |",
        "|---|---:|",
        *[_metric_row(m) for m in result.metrics],
        *[_metric_row(m) for m in result.ratios],
        "",
    ]
    for note in result.notes:
        lines += [note, ""]
    if result.profile:
        lines += ["#### Profile", "", *result.profile, ""]
    return lines
