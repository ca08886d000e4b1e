"""Run the benchmarks and write docs/benchmarks.md and docs/benchmarks.json.

    python -m bench.run [--only NAME ...] [--size N] [--rounds R] [--profile] [--out-dir DIR]

Results are merged into the JSON file: a run of some benchmarks keeps the last results of
the others. To add a benchmark, write ``bench/<name>.py`` with an
``async def run(ctx: BenchContext) -> BenchResult`` and register it in ``BENCHMARKS``
(see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import asyncpg
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from backoffice_events.kafka import KafkaConfig, kafka_reachable

from . import report
from .core import LOCAL, ROOT, BenchContext, BenchEnv, Benchmark, BenchResult, machine_facts, now_iso
from .http_orders import http_orders
from .ledger_rebuild import ledger_rebuild
from .order_to_ledger import order_to_ledger, scaling
from .relay import relay_latency, relay_throughput
from .store import store_batch, store_single

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("store-single", "event store, single-event appends, 16 writers", store_single, 5_000, 50),
        Benchmark(
            "store-batch", "event store, 100-event batch appends, 16 writers", store_batch, 100_000, 200
        ),
        Benchmark(
            "relay", "outbox relay draining a pre-filled outbox to Kafka", relay_throughput, 50_000, 50
        ),
        Benchmark(
            "relay-latency", "append-to-Kafka latency at a fixed rate (500/s)", relay_latency, 5_000, 50
        ),
        Benchmark(
            "ledger-rebuild",
            "ledger projection rebuild from Kafka vs a bare aiokafka read",
            ledger_rebuild,
            400_000,
            300,
        ),
        Benchmark(
            "http-orders",
            "POST /orders on one uvicorn worker vs a trivial FastAPI endpoint",
            http_orders,
            15,
            1,
            size_unit="seconds per variant",
        ),
        Benchmark(
            "order-to-ledger",
            "order placed and shipped to AR posted in the ledger, sustained (200 orders/s offered)",
            order_to_ledger,
            60,
            3,
            size_unit="seconds",
        ),
        Benchmark(
            "scaling",
            "order to ledger with 1 and 2 worker replicas per service",
            scaling,
            30,
            3,
            size_unit="seconds per configuration",
        ),
    )
}

DOCS = ROOT / "docs"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME", help="run only this (repeatable)"
    )
    parser.add_argument("--size", type=int, help="events (or requests, orders) per variant and round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each comparison (default 3)")
    parser.add_argument(
        "--seconds", type=float, help="duration of fixed-rate benchmarks (overrides --size for those)"
    )
    parser.add_argument("--rate", type=float, help="rate of fixed-rate benchmarks (relay-latency: 500/s)")
    parser.add_argument(
        "--profile", action="store_true", help="profile the store benchmarks with pyinstrument"
    )
    parser.add_argument(
        "--out-dir", type=Path, default=DOCS, help="where benchmarks.md/.json go (default docs/)"
    )
    parser.add_argument("--pg", help="PostgreSQL server URL (default $DATABASE_URL or the local stack)")
    parser.add_argument("--kafka", help="Kafka bootstrap servers (default $KAFKA_BOOTSTRAP_SERVERS or local)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--render", action="store_true", help="only rewrite benchmarks.md from benchmarks.json, run nothing"
    )
    return parser.parse_args(argv)


async def check_servers(env: BenchEnv) -> str | None:
    try:
        conn = await asyncio.wait_for(asyncpg.connect(env.dsn("postgres")), 5)
        await conn.close()
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL at {env.pg_server} is not reachable ({exc}); start the stack with `make up`"
    if not await kafka_reachable(KafkaConfig(env.kafka_bootstrap)):
        return f"Kafka at {env.kafka_bootstrap} is not reachable; start the stack with `make up`"
    return None


async def run_benchmarks(args: argparse.Namespace, console: Console) -> int:
    names = [n for spec in args.only for n in spec.split(",") if n] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        console.print(f"[red]unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
        return 2
    env = BenchEnv.from_environment(args.pg, args.kafka)
    problem = await check_servers(env)
    if problem:
        console.print(f"[red]{problem}")
        return 2
    machine = await machine_facts(env)
    results: list[BenchResult] = []
    failed: list[str] = []
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=args.no_progress,
    )
    with progress:
        for name in names:
            bench = BENCHMARKS[name]
            ctx = BenchContext(
                env=env,
                size=args.size or bench.default_size,
                progress=progress,
                rounds=max(1, args.rounds),
                seconds=args.seconds,
                rate=args.rate,
                profile=args.profile,
                artifacts=LOCAL,
            )
            progress.console.print(f"[bold]{name}[/]: {bench.title} (size {ctx.size:,} {bench.size_unit})")
            load = os.getloadavg()[0]
            try:
                result = await bench.run(ctx)
            except Exception:
                failed.append(name)
                progress.console.print(f"[red]{name} failed:[/]\n{traceback.format_exc()}")
                continue
            result.notes.append(
                f"Machine load when it started: load average {load:.2f} (1 min) on {os.cpu_count()} cores "
                "(other work on the machine competes for the same cores; the ratios are same-run)."
            )
            results.append(replace(result, machine=machine))
            summary = ", ".join(
                f"{m.label}: {m.value:,.2f} {m.unit}" for m in [*result.metrics[:3], *result.ratios[:1]]
            )
            progress.console.print(f"  {name} done in {result.duration_s:.0f} s - {summary}")
    out_dir: Path = args.out_dir
    json_path, md_path = out_dir / "benchmarks.json", out_dir / "benchmarks.md"
    merged = report.merge(report.load(json_path), results)
    generated = now_iso()
    report.save(json_path, merged, machine, generated)
    md_path.write_text(report.render(merged, machine, generated))
    console.print(f"wrote {md_path} and {json_path}")
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}")
        return 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(stderr=True)
    if args.list:
        for b in BENCHMARKS.values():
            print(f"{b.name:16} {b.title} (default size {b.default_size:,}, tiny {b.tiny_size:,})")
        return 0
    if args.render:
        json_path = args.out_dir / "benchmarks.json"
        results = report.load(json_path)
        stored = json.loads(json_path.read_text()) if json_path.exists() else {}
        (args.out_dir / "benchmarks.md").write_text(
            report.render(results, stored.get("machine", {}), stored.get("generated_at", now_iso()))
        )
        return 0
    logging.basicConfig(level=logging.WARNING)
    # Fresh topics answer NotLeaderForPartition for a moment; aiokafka retries and says so.
    logging.getLogger("aiokafka").setLevel(logging.ERROR)
    return asyncio.run(run_benchmarks(args, console))


if __name__ == "__main__":
    sys.exit(main())
