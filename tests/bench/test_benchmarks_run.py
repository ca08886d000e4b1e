"""Every benchmark runs once at a tiny size against the real stack, so none can rot.

Runs ``python -m bench.run`` as `make bench` does, but writes its report to a temporary
folder: docs/benchmarks.md and docs/benchmarks.json are never touched here.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backoffice_events import testing

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

# name -> extra arguments; sizes far below the real runs (see bench.run.BENCHMARKS tiny sizes)
TINY: dict[str, list[str]] = {
    "store-single": ["--size", "50"],
    "store-batch": ["--size", "200"],
    "relay": ["--size", "50"],
    "relay-latency": ["--seconds", "1", "--rate", "100"],
    "ledger-rebuild": ["--size", "300"],
    "http-orders": ["--size", "1"],
    "order-to-ledger": ["--size", "2", "--rate", "20"],
    "scaling": ["--size", "2", "--rate", "20"],
}


def _snapshot() -> dict[str, bytes | None]:
    return {
        name: (DOCS / name).read_bytes() if (DOCS / name).exists() else None
        for name in ("benchmarks.md", "benchmarks.json")
    }


def _run_bench(test_stack: testing.TestStack, out_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": test_stack.database_url("postgres"),
        "KAFKA_BOOTSTRAP_SERVERS": test_stack.kafka_bootstrap,
    }
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--rounds",
            "1",
            "--no-progress",
            "--out-dir",
            str(out_dir),
            *args,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_every_benchmark_has_a_tiny_run() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "bench.run", "--list"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    names = {line.split()[0] for line in listed.stdout.splitlines() if line.strip()}
    assert names == set(TINY), "add the new benchmark to TINY"


@pytest.mark.parametrize("name", sorted(TINY))
def test_benchmark_runs_at_tiny_size(test_stack: testing.TestStack, tmp_path: Path, name: str) -> None:
    before = _snapshot()
    done = _run_bench(test_stack, tmp_path, "--only", name, *TINY[name])
    assert done.returncode == 0, done.stdout + done.stderr
    assert _snapshot() == before, "a benchmark test must not write docs/benchmarks.*"

    data = json.loads((tmp_path / "benchmarks.json").read_text())
    result = data["results"][name]
    assert result["metrics"], result
    for metric in result["metrics"]:
        assert math.isfinite(metric["value"]) and metric["value"] >= 0, metric
        if metric["unit"] in ("events/s", "ms"):
            assert metric["value"] > 0, metric
    for ratio in result["ratios"]:
        assert ratio["value"] > 0, ratio
    for value in result["measurements"].values():
        assert value > 0
    assert data["machine"]["cores"]
    report = (tmp_path / "benchmarks.md").read_text()
    assert report.index("## Ratios") < report.index("## Raw numbers vs targets")
    assert "not measured yet" in report  # targets of benchmarks nobody added yet


def test_report_merges_results_of_separate_runs(test_stack: testing.TestStack, tmp_path: Path) -> None:
    for name in ("store-batch", "relay"):
        done = _run_bench(test_stack, tmp_path, "--only", name, *TINY[name])
        assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads((tmp_path / "benchmarks.json").read_text())
    assert {"store-batch", "relay"} <= set(data["results"])


_ZERO_SAMPLES = """
from bench.store import Workload, _findings
runs = ("ours", "eventsourcing", "asyncpg", "ours-autocommit")
lines = _findings(
    KEY,
    Workload(events=16, writers=16, batch=BATCH, appends_per_stream=1),
    rate={run: 0.0 for run in runs},
    lat={run: [0.0] for run in runs},
    cpu={(run, side): 0.0 for run in runs for side in ("client", "postgres")},
    ratios={"eventsourcing": 0.0, "asyncpg": 0.0, "autocommit": 0.0},
    machine_busy=0.0,
)
print(lines[0])
"""


@pytest.mark.parametrize(("key", "batch"), [("store_single", 1), ("store_batch", 100)])
def test_store_findings_survive_zero_samples(key: str, batch: int) -> None:
    """A tiny run can sample zero CPU and zero latency; the report still comes out."""
    script = _ZERO_SAMPLES.replace("KEY", repr(key)).replace("BATCH", str(batch))
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("- Ours: 0 events/s, misses the target")
