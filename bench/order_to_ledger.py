"""Order to ledger across real service processes, and how it scales with worker replicas.

``order-to-ledger``: fresh databases for order, billing and ledger, topics under a unique
prefix (6 partitions), and each service as its own process (``python -m <svc>_service all``).
The benchmark process places and ships orders open-loop at a target rate (``--rate``,
default 200/s) for ``size`` seconds (POST /orders, then POST /orders/{id}/shipments), and
polls the ledger database every 25 ms for the invoices of those shipments in its books
(``source_events`` of the active generation: the transaction that posted the invoice's AR
entry has committed). Latency: shipment answered (OrderShipped committed) to the invoice's
AR posting seen in the ledger. RSS and CPU of every service process are sampled each second.

``scaling``: the same run with 1 and with 2 worker replicas per service (the extra ones
``python -m <svc>_service worker``, joining the same consumer groups).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import asyncpg
import httpx
import psutil

from backoffice_events.kafka import KafkaConfig

from .core import (
    BenchContext,
    BenchResult,
    Metric,
    Stopwatch,
    bench_topics,
    fresh_database,
    now_iso,
    percentile,
)
from .http_orders import seed_products
from .loadgen import ADDRESS
from .services import ApiKey, ServiceProcess, service_env, start_service
from .targets import TARGETS_BY_ID

SERVICES = ("order", "billing", "ledger")
SKUS = [f"E2E-{i:03d}" for i in range(50)]
INVOICE_ISSUED = "backoffice.billing.invoice_issued.v1"
MAX_IN_FLIGHT = 400
CONNECTIONS = 32


@dataclass
class System:
    processes: list[ServiceProcess]
    order: ServiceProcess
    ledger_dsn: str
    key: ApiKey


@asynccontextmanager
async def running_system(ctx: BenchContext, replicas: int) -> AsyncIterator[System]:
    """order, billing and ledger (``all``) plus ``replicas - 1`` workers each."""
    key = ApiKey.admin()
    async with AsyncExitStack() as stack:
        kafka: KafkaConfig = await stack.enter_async_context(bench_topics(ctx.env, 6))
        dsns = {
            s: (await stack.enter_async_context(fresh_database(ctx.env, migrate=False))).dsn for s in SERVICES
        }
        processes: list[ServiceProcess] = []
        main: dict[str, ServiceProcess] = {}
        try:
            for service in SERVICES:
                env = service_env(ctx.env, service, dsns[service], kafka, key)
                main[service] = start_service(service, "all", env, label=f"bench-{service}-all")
                processes.append(main[service])
            for p in processes:
                await p.wait_ready()  # migrations done: workers start on a migrated database
            for service in SERVICES:
                for n in range(1, replicas):
                    env = service_env(ctx.env, service, dsns[service], kafka, key)
                    processes.append(
                        start_service(service, "worker", env, label=f"bench-{service}-worker{n}")
                    )
            await asyncio.sleep(1.0)
            for p in processes:
                if p.proc.poll() is not None:
                    raise RuntimeError(f"{p.label} exited; see {p.log}")
            yield System(processes, main["order"], dsns["ledger"], key)
        finally:
            for p in processes:
                await p.stop()


@dataclass
class Run:
    seconds: float
    rate: float
    replicas: int
    shipped: dict[str, float] = field(default_factory=dict)  # shipment id -> answered (time.time)
    posted: dict[str, float] = field(default_factory=dict)  # shipment id -> seen in the ledger
    failed: int = 0
    skipped: int = 0
    started: float = 0.0
    load_seconds: float = 0.0
    rss: dict[str, float] = field(default_factory=dict)  # process -> peak MB
    cpu: dict[str, float] = field(default_factory=dict)  # process -> cores during the run
    driver_cpu: float = 0.0  # cores the benchmark process (driver + ledger polling) used

    @property
    def latencies(self) -> list[float]:
        return [self.posted[s] - t for s, t in self.shipped.items() if s in self.posted]

    @property
    def posted_rate(self) -> float:
        if not self.posted:
            return 0.0
        return len(self.posted) / (max(self.posted.values()) - self.started)

    @property
    def shipped_rate(self) -> float:
        return len(self.shipped) / self.load_seconds if self.load_seconds else 0.0


async def _watch_ledger(dsn: str, run: Run, stop: asyncio.Event) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        since = time.time() - 60
        while not stop.is_set():
            now = time.time()
            try:
                rows = await conn.fetch(
                    "SELECT data->>'shipment_id' AS s FROM books_1.source_events"
                    " WHERE event_type = $1 AND recorded_at >= to_timestamp($2)",
                    INVOICE_ISSUED,
                    since,
                )
            except asyncpg.UndefinedTableError:  # the ledger creates its first books on start
                rows = []
            for r in rows:
                run.posted.setdefault(r["s"], now)
            since = now - 10  # a batch's recorded_at is its transaction start
            await asyncio.sleep(0.025)
    finally:
        await conn.close()


async def _sample(system: System, run: Run, stop: asyncio.Event) -> None:
    cpu0 = {p.label: p.cpu_seconds() for p in system.processes}
    me = psutil.Process()
    mine0 = sum(me.cpu_times()[:2])
    t0 = time.perf_counter()
    while not stop.is_set():
        for p in system.processes:
            p.rss_mb()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)
    elapsed = time.perf_counter() - t0
    run.driver_cpu = (sum(me.cpu_times()[:2]) - mine0) / elapsed if elapsed else 0.0
    for p in system.processes:
        run.rss[p.label] = p.peak_rss
        run.cpu[p.label] = (p.cpu_seconds() - cpu0[p.label]) / elapsed if elapsed else 0.0


async def drive(
    ctx: BenchContext, system: System, seconds: float, rate: float, replicas: int, label: str
) -> Run:
    run = Run(seconds, rate, replicas)
    count = int(seconds * rate)
    tag = uuid.uuid4().hex[:6]
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    # Orders wait for a connection here, not in httpx's pool: its pool costs CPU per waiter
    # and request, and with hundreds waiting the driver itself became the bottleneck.
    slots = asyncio.Semaphore(CONNECTIONS)
    in_flight = 0
    counter = ctx.counter(label, count)
    stop_watch, stop_sample = asyncio.Event(), asyncio.Event()
    watcher = asyncio.create_task(_watch_ledger(system.ledger_dsn, run, stop_watch))
    sampler = asyncio.create_task(_sample(system, run, stop_sample))
    async with httpx.AsyncClient(
        base_url=system.order.url, limits=limits, timeout=30.0, headers={"X-API-Key": system.key.plain}
    ) as client:

        async def one(i: int) -> None:
            nonlocal in_flight
            in_flight += 1
            try:
                async with slots:
                    await place_and_ship(i)
            except httpx.HTTPError:
                run.failed += 1
            finally:
                in_flight -= 1
                counter.advance()

        async def place_and_ship(i: int) -> None:
            quantity = 1 + i % 3
            placed = await client.post(
                "/orders",
                json={
                    "customer_id": f"cust-{tag}-{i % 500:04d}",
                    "channel": "web",
                    "currency": "EUR",
                    "backorder_policy": "reject",
                    "shipping_address": ADDRESS,
                    "lines": [{"sku": SKUS[i % len(SKUS)], "quantity": quantity}],
                },
                headers={"Idempotency-Key": f"{tag}-o-{i}"},
            )
            if placed.status_code != 201:
                run.failed += 1
                return
            order_id = placed.json()["order_id"]
            shipment_id = f"shp-{tag}-{i}"
            shipped = await client.post(
                f"/orders/{order_id}/shipments",
                json={
                    "shipment_id": shipment_id,
                    "carrier": "DHL",
                    "lines": [{"line_no": 1, "quantity": quantity}],
                },
                headers={"Idempotency-Key": f"{tag}-s-{i}"},
            )
            if shipped.status_code != 201:
                run.failed += 1
                return
            run.shipped[shipment_id] = time.time()

        tasks: list[asyncio.Task[None]] = []
        run.started = time.time()
        t0 = time.perf_counter()
        for i in range(count):
            delay = t0 + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if in_flight >= MAX_IN_FLIGHT:  # the system fell behind: do not pile up without bound
                run.skipped += 1
                counter.advance()
                continue
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        run.load_seconds = time.perf_counter() - t0
    counter.done()
    # Let the pipeline drain: wait until every shipped order is in the books (or give up).
    drain = ctx.counter(f"{label}: waiting for the ledger", len(run.shipped))
    deadline = time.time() + max(30.0, seconds)
    done = 0
    while time.time() < deadline and len(set(run.shipped) - set(run.posted)) > 0:
        now_done = sum(1 for s in run.shipped if s in run.posted)
        drain.advance(now_done - done)
        done = now_done
        await asyncio.sleep(0.2)
    drain.done()
    stop_watch.set()
    stop_sample.set()
    await asyncio.gather(watcher, sampler)
    return run


async def _one(ctx: BenchContext, replicas: int, seconds: float, rate: float, label: str) -> Run:
    async with running_system(ctx, replicas) as system:
        await seed_products(system.order.url, system.key.plain, SKUS, stock=1_000_000)
        # warm-up (not measured): a few orders through the whole pipeline
        await drive(ctx, system, 1.0, 10.0, replicas, f"{label}: warm-up")
        return await drive(ctx, system, seconds, rate, replicas, label)


def _metrics(run: Run, prefix: str = "") -> list[Metric]:
    lat = run.latencies
    worst = max(run.rss.values()) if run.rss else 0.0
    p = f"{prefix}: " if prefix else ""
    return [
        Metric(f"{prefix}posted_per_s", f"{p}orders posted to AR in the ledger", run.posted_rate, "orders/s"),
        Metric(
            f"{prefix}shipped_per_s", f"{p}orders placed and shipped (driver)", run.shipped_rate, "orders/s"
        ),
        Metric(f"{prefix}p50_ms", f"{p}shipment to AR posting, p50", percentile(lat, 50) * 1e3, "ms"),
        Metric(f"{prefix}p99_ms", f"{p}shipment to AR posting, p99", percentile(lat, 99) * 1e3, "ms"),
        Metric(f"{prefix}max_rss_mb", f"{p}largest service process RSS", worst, "MB"),
        Metric(f"{prefix}driver_cpu_cores", f"{p}driver (benchmark process) CPU", run.driver_cpu, "cores"),
    ]


def _processes(run: Run) -> str:
    return ", ".join(
        f"{label.removeprefix('bench-')} {run.rss[label]:.0f} MB / {run.cpu.get(label, 0):.2f} cores"
        for label in sorted(run.rss)
    )


def _check(run: Run) -> None:
    if not run.shipped:
        raise AssertionError(f"no order was shipped ({run.failed} failed)")
    if not run.posted:
        raise AssertionError("no invoice reached the ledger")


async def order_to_ledger(ctx: BenchContext) -> BenchResult:
    seconds = float(ctx.seconds or ctx.size)
    rate = ctx.rate or 200.0
    started = Stopwatch()
    run = await _one(ctx, 1, seconds, rate, f"order-to-ledger: {rate:.0f} orders/s for {seconds:.0f} s")
    _check(run)
    lat = run.latencies
    p99 = percentile(lat, 99) * 1e3
    worst = max(run.rss.values())
    missing = len(set(run.shipped) - set(run.posted))
    t_rate = TARGETS_BY_ID["order_to_ledger_orders_per_s"]
    t_p99 = TARGETS_BY_ID["order_to_ledger_p99_ms"]
    t_rss = TARGETS_BY_ID["service_rss_mb"]
    busiest = max(run.cpu, key=lambda k: run.cpu[k])
    return BenchResult(
        name="order-to-ledger",
        title="Order to ledger, sustained load across service processes",
        params={"seconds": seconds, "rate": rate, "replicas": 1, "partitions": 6},
        metrics=_metrics(run),
        measurements={
            "order_to_ledger_orders_per_s": run.posted_rate,
            "order_to_ledger_p99_ms": p99,
            "service_rss_mb": worst,
        },
        findings=[
            f"- Throughput: {run.posted_rate:,.1f} orders/s posted to AR "
            f"({'meets' if t_rate.met(run.posted_rate) else 'misses'} {t_rate.describe()}) at an offered "
            f"{rate:.0f}/s; the driver got {run.shipped_rate:,.1f} orders/s placed and shipped "
            f"({run.failed} failed, {run.skipped} not sent because {MAX_IN_FLIGHT} were in flight). "
            f"p99 shipment to AR posting {p99:,.0f} ms ({'meets' if t_p99.met(p99) else 'misses'} "
            f"{t_p99.describe()}); largest RSS {worst:.0f} MB ({'meets' if t_rss.met(worst) else 'misses'} "
            f"{t_rss.describe()}).",
            f"- CPU per process while loaded: {_processes(run)}; the driver (httpx) {run.driver_cpu:.2f} "
            f"cores. The busiest service is {busiest.removeprefix('bench-')} (its HTTP API: every order "
            "is two requests, each a PostgreSQL transaction through SQLAlchemy; see `http-orders` for "
            "the per-request cost and profile). The consumers and relays are far from busy and the "
            "latency from shipment to AR posting stays low; what caps throughput is CPU for the order "
            "API, PostgreSQL and the driver, which share the machine's 2 cores with billing, the "
            "ledger and Kafka.",
            "- What it would take: the order API's per-request cost (see `http-orders`: about 3.4 ms of "
            "CPU per POST /orders; a shipment costs about as much), i.e. 200 orders/s needs about 1.4 "
            "cores for the order API alone plus PostgreSQL - more cores (API replicas on their own "
            "cores) and the per-request savings listed under `http-orders`. A lighter driver (wrk, "
            "aiohttp) would give the services back a few tenths of a core here.",
        ],
        notes=[
            f"Each service runs as `python -m <svc>_service all` (API + relay + consumers in one process, "
            f"LOG_LEVEL=WARNING) on its own fresh database; topics with 6 partitions. The driver (this "
            f"process, httpx, up to {CONNECTIONS} connections) starts an order every 1/{rate:.0f} s "
            f"for {seconds:.0f} s "
            f"(open loop, at most {MAX_IN_FLIGHT} in flight): POST /orders (1 line, 50 products, 500 "
            f"customers) then POST /orders/{{id}}/shipments for the whole line. Billing invoices the "
            f"shipment (OrderShipped), the ledger posts the invoice (AR debit); the ledger database is "
            f"polled every 25 ms. {len(run.shipped):,} orders shipped, {len(run.posted):,} posted, "
            f"{missing:,} not posted within the drain wait.",
            "Throughput = invoices posted / (last posting - load start); latency = first poll that "
            "sees the invoice in the ledger's books - the shipment request's answer (includes up to "
            "25 ms of polling).",
        ],
        measured_at=now_iso(),
        duration_s=started.elapsed(),
    )


async def scaling(ctx: BenchContext) -> BenchResult:
    seconds = float(ctx.seconds or ctx.size)
    rate = ctx.rate or 200.0
    started = Stopwatch()
    runs: dict[int, Run] = {}
    for replicas in (1, 2):
        runs[replicas] = await _one(
            ctx, replicas, seconds, rate, f"scaling: {replicas} replica(s), {rate:.0f}/s for {seconds:.0f} s"
        )
        _check(runs[replicas])
    one, two = runs[1], runs[2]
    ratio = two.posted_rate / one.posted_rate if one.posted_rate else 0.0
    return BenchResult(
        name="scaling",
        title="Order to ledger with 1 and with 2 worker replicas per service",
        params={"seconds": seconds, "rate": rate, "partitions": 6},
        metrics=[*_metrics(one, "r1"), *_metrics(two, "r2")],
        ratios=[Metric("two_vs_one_replica", "throughput, 2 worker replicas / 1", ratio, "x")],
        findings=[
            f"- 1 replica: {one.posted_rate:,.1f} orders/s posted, "
            f"p99 {percentile(one.latencies, 99) * 1e3:,.0f} ms; "
            f"2 replicas: {two.posted_rate:,.1f} orders/s, "
            f"p99 {percentile(two.latencies, 99) * 1e3:,.0f} ms "
            f"({ratio:.2f}x). Extra worker processes add consumers (the 6 partitions are shared out) and "
            "standby relays, but on a 2-core machine they compete with the APIs, PostgreSQL and Kafka "
            "for the same cores; scaling out pays only with cores to spare.",
            f"- Per process, 1 replica: {_processes(one)}.",
            f"- Per process, 2 replicas: {_processes(two)}.",
        ],
        notes=[
            f"Same workload as `order-to-ledger` ({rate:.0f} orders/s offered for {seconds:.0f} s per "
            "configuration, fresh databases and topics for each); with 2 replicas every service gets one "
            "more `python -m <svc>_service worker` process in the same consumer groups.",
        ],
        measured_at=now_iso(),
        duration_s=started.elapsed(),
    )
