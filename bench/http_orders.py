"""POST /orders on one uvicorn worker of the order service vs a trivial FastAPI endpoint.

``http-orders``: the order service runs as its own process (``python -m order_service api``,
one uvicorn worker, a fresh database with products and plenty of stock); the baseline is
``bench.trivial_app`` (a FastAPI POST returning a small JSON body) with the same uvicorn
settings. A separate load-generator process (``wrk`` with a Lua script building each order
and a unique Idempotency-Key, else ``bench.loadgen``) keeps a fixed number of connections
busy for a fixed duration (size = seconds per variant and round); rounds interleave the
two. With ``--profile`` one extra order run is sampled with pyinstrument inside the server.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import httpx

from .core import (
    LOCAL,
    BenchContext,
    BenchResult,
    CpuMeter,
    Metric,
    Stopwatch,
    bench_topics,
    fresh_database,
    median,
    now_iso,
    rotate,
)
from .loadgen import LoadResult, run_load
from .services import ApiKey, ServiceProcess, service_env, start_process, start_service
from .targets import TARGETS_BY_ID

CONCURRENCY = 32
SKUS = [f"HTTP-{i:03d}" for i in range(20)]


async def seed_products(url: str, key: str, skus: list[str], stock: int = 1_000_000) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=30) as client:
        for sku in skus:
            r = await client.post(
                "/products",
                json={
                    "sku": sku,
                    "name": sku,
                    "unit_price": {"amount": "9.90", "currency": "EUR"},
                    "vat_rate": "0.21",
                },
            )
            if r.status_code not in (201, 409):
                raise RuntimeError(f"POST /products: {r.status_code} {r.text}")
            r = await client.post(f"/stock/{sku}/receipts", json={"quantity": stock})
            if r.status_code != 201:
                raise RuntimeError(f"POST /stock/{sku}/receipts: {r.status_code} {r.text}")


async def _one_run(
    ctx: BenchContext, server: ServiceProcess, key: str, seconds: float, label: str
) -> tuple[LoadResult, float, float]:
    """The load result, the server's CPU (cores) and the machine's busy share during it."""
    counter = ctx.counter(label, seconds)
    meter = CpuMeter()
    meter.start()
    cpu0, t0 = server.cpu_seconds(), time.perf_counter()
    task = asyncio.create_task(
        run_load(server.url, "/orders", concurrency=CONCURRENCY, seconds=seconds, key=key, skus=SKUS)
    )
    try:
        while not task.done():
            await asyncio.sleep(0.5)
            counter.advance(0.5)
            server.rss_mb()
        cores = (server.cpu_seconds() - cpu0) / (time.perf_counter() - t0)
        return task.result(), cores, meter.stop()["machine_busy"]
    finally:
        counter.done()


async def http_orders(ctx: BenchContext) -> BenchResult:
    seconds = float(ctx.seconds or ctx.size)
    started = Stopwatch()
    key = ApiKey.admin()
    rounds: list[dict[str, LoadResult]] = []
    cores: dict[str, list[float]] = {"orders": [], "trivial": []}
    busy: list[float] = []
    placed = 0
    profile_lines: list[str] = []
    async with bench_topics(ctx.env) as kafka, fresh_database(ctx.env, migrate=False) as db:
        env = service_env(ctx.env, "order", db.dsn, kafka, key)
        order = start_service("order", "api", env, label="bench-order-api")
        trivial = start_process(
            "bench-trivial-api", ["-m", "bench.trivial_app", "--port", str(port := _port())], env, port
        )
        try:
            await order.wait_ready()
            await trivial.wait_ready()
            await seed_products(order.url, key.plain, SKUS)
            # warm-up, not measured: connections, prepared statements
            await run_load(order.url, "/orders", concurrency=CONCURRENCY, seconds=1, key=key.plain, skus=SKUS)
            await run_load(
                trivial.url, "/orders", concurrency=CONCURRENCY, seconds=1, key=key.plain, skus=SKUS
            )
            for r in range(ctx.rounds):
                phases: dict[str, LoadResult] = {}
                for variant in rotate(("orders", "trivial"), r):
                    server = order if variant == "orders" else trivial
                    label = f"http-orders round {r + 1}/{ctx.rounds}: {variant} ({seconds:.0f} s)"
                    phases[variant], used, machine = await _one_run(ctx, server, key.plain, seconds, label)
                    cores[variant].append(used)
                    busy.append(machine)
                rounds.append(phases)
            rss = order.peak_rss
        finally:
            await order.stop()
            await trivial.stop()
        if ctx.profile:
            html = LOCAL / "http-orders-profile.html"
            profiled = start_service("order", "api", env, label="bench-order-api-profiled", profile=html)
            try:
                await profiled.wait_ready()
                result, _, _ = await _one_run(ctx, profiled, key.plain, seconds, "http-orders: profiled run")
            finally:
                await profiled.stop()
            profile_lines = _profile_lines(html, result)
        conn = await asyncpg.connect(db.dsn)
        try:
            placed = int(await conn.fetchval("SELECT count(*) FROM orders"))
        except asyncpg.PostgresError:
            placed = -1
        finally:
            await conn.close()
    for p in rounds:
        for variant, res in p.items():
            if res.errors:
                raise AssertionError(f"{variant}: {res.errors} failed requests of {res.requests}")
    orders_rps = median(p["orders"].rps for p in rounds)
    trivial_rps = median(p["trivial"].rps for p in rounds)
    ratio = median(p["orders"].rps / p["trivial"].rps for p in rounds)
    tool = rounds[0]["orders"].tool
    per_round = "; ".join(
        f"round {i + 1}: orders {p['orders'].rps:,.0f} req/s (p99 {p['orders'].p99_ms:.1f} ms), "
        f"trivial {p['trivial'].rps:,.0f} req/s"
        for i, p in enumerate(rounds)
    )
    return BenchResult(
        name="http-orders",
        title="POST /orders on one uvicorn worker",
        params={"seconds": seconds, "rounds": ctx.rounds, "concurrency": CONCURRENCY, "load_generator": tool},
        metrics=[
            Metric("orders_rps", "ours: POST /orders", orders_rps, "req/s"),
            Metric(
                "orders_p50_ms", "ours: POST /orders p50", median(p["orders"].p50_ms for p in rounds), "ms"
            ),
            Metric(
                "orders_p99_ms", "ours: POST /orders p99", median(p["orders"].p99_ms for p in rounds), "ms"
            ),
            Metric("trivial_rps", "trivial FastAPI POST", trivial_rps, "req/s"),
            Metric(
                "trivial_p50_ms",
                "trivial FastAPI POST p50",
                median(p["trivial"].p50_ms for p in rounds),
                "ms",
            ),
            Metric(
                "trivial_p99_ms",
                "trivial FastAPI POST p99",
                median(p["trivial"].p99_ms for p in rounds),
                "ms",
            ),
            Metric("order_rss_mb", "ours: order API process peak RSS", rss, "MB"),
            Metric("order_cpu_cores", "ours: order API process CPU", median(cores["orders"]), "cores"),
            Metric("trivial_cpu_cores", "trivial app process CPU", median(cores["trivial"]), "cores"),
        ],
        ratios=[Metric("post_orders_vs_fastapi", "POST /orders / trivial FastAPI endpoint", ratio, "x")],
        measurements={"post_orders_rps": orders_rps, "post_orders_vs_fastapi": ratio},
        profile=profile_lines,
        findings=_findings(
            orders_rps, trivial_rps, ratio, median(cores["orders"]), median(cores["trivial"]), median(busy)
        ),
        notes=[
            f"Load: `{tool}` in its own process, {CONCURRENCY} connections, {seconds:.0f} s per variant and "
            f"round after a 1 s warm-up; orders of 2 lines over {len(SKUS)} products (1,000,000 units of "
            f"stock each) for 1,000 customers, a unique Idempotency-Key each, admin API key; no failed "
            f"requests. Server: `python -m order_service api` (one process, uvicorn as the platform runs "
            f"it, LOG_LEVEL=WARNING), fresh database; {placed:,} orders were placed in all. Both servers, "
            "the load generator, PostgreSQL and Kafka share the machine's cores.",
            f"Per round: {per_round}.",
        ],
        measured_at=now_iso(),
        duration_s=started.elapsed(),
    )


def _findings(
    orders_rps: float, trivial_rps: float, ratio: float, cores: float, trivial_cores: float, busy: float
) -> list[str]:
    target = TARGETS_BY_ID["post_orders_rps"]
    ratio_target = TARGETS_BY_ID["post_orders_vs_fastapi"]
    per_order = cores / orders_rps * 1e3 if orders_rps else 0.0
    per_trivial = trivial_cores / trivial_rps * 1e3 if trivial_rps else 0.0
    lines = [
        f"- POST /orders: {orders_rps:,.0f} req/s ({'meets' if target.met(orders_rps) else 'misses'} "
        f"{target.describe()}), {ratio:.2f}x the trivial endpoint's {trivial_rps:,.0f} req/s "
        f"({'meets' if ratio_target.met(ratio) else 'misses'} {ratio_target.describe()}). The order API "
        f"process used {cores:.2f} cores: {per_order:.2f} ms of CPU per order against {per_trivial:.2f} ms "
        f"per trivial request; the machine's 2 cores were {busy:.0%} busy (PostgreSQL and the load "
        "generator take the rest).",
    ]
    if not target.met(orders_rps):
        budget = 1e3 / target.value
        lines.append(
            f"- Bottleneck (profile below): Python work per order in the one server process, "
            f"{per_order:.1f} ms CPU against a budget of {budget:.1f} ms at the target, and "
            "PostgreSQL on the same 2 cores. Each order is one transaction of about a dozen statements "
            "through SQLAlchemy Core on asyncpg - pool checkout with pre-ping, idempotency claim, "
            "catalogue prices, stock rows locked FOR UPDATE and updated, two event-store appends "
            "(order stream and stock, each with outbox rows), the order read model, the stored "
            "idempotent answer - plus FastAPI/pydantic validation and serialisation of the body and the "
            "full order answer. What it would take: fewer round trips per order (one CTE or a "
            "server-side function for reserve + append + outbox, no pre-ping per checkout), asyncpg "
            "directly instead of SQLAlchemy on the hot path, a smaller answer (201 with the order id "
            "and a Location header), and more than one worker process on a machine with cores to spare "
            "(here a second API process would compete with PostgreSQL)."
        )
    return lines


def _port() -> int:
    from .services import free_port

    return free_port()


def _profile_lines(html: object, result: LoadResult) -> list[str]:
    from pathlib import Path

    path = Path(str(html))
    text = path.with_suffix(".txt")
    lines = [
        f"Profiled run (pyinstrument inside the order API process, 1 ms sampling): {result.rps:,.0f} req/s "
        f"under the profiler. Full profile: `{path.relative_to(LOCAL.parents[1])}` (not committed).",
    ]
    if text.exists():
        lines += ["", "```", *text.read_text().splitlines()[:60], "```"]
    return lines
