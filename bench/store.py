"""Event store append throughput: ours vs bare asyncpg INSERTs vs the ``eventsourcing`` library.

Workload (the same for all three variants, on the same PostgreSQL, in the same run):
``writers`` concurrent writers, each with its own streams; every stream receives
``appends_per_stream`` appends of ``batch`` events, each append its own transaction and,
for ours, with the expected version of the stream. The payload is an order-context
``StockReserved`` event (about 90 bytes of JSON).

* **ours** - ``EventStore.append`` on a SQLAlchemy ``AsyncConnection`` (``engine.begin()``),
  which writes the stream version, the events and their outbox rows in one statement.
* **bare asyncpg** - plain ``INSERT``s of the same rows into a table of the same shape
  (same migration, schema ``bare``): no stream row, no version check, no outbox. The
  ceiling of what PostgreSQL + asyncpg do on this machine.
* **eventsourcing** - the library's ``PostgresApplicationRecorder.insert_events`` (psycopg 3,
  a connection pool, one thread per writer; the library's API is synchronous), given
  already serialised ``StoredEvent``s - the recorder alone, without the library's
  application/mapper layer. It locks its table per insert to keep notification order.

Rounds run the variants in rotating order, each round on emptied tables; the report takes
medians of the rounds and the median of the per-round ratios.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import orjson
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backoffice_events.catalog.orders import StockReserved
from backoffice_events.migrate import EVENT_STORE_MIGRATIONS
from backoffice_events.store import EventStore

from .core import (
    BenchContext,
    BenchEnv,
    BenchResult,
    Counter,
    CpuMeter,
    Database,
    Metric,
    Stopwatch,
    backend_pids,
    checkpoint,
    fresh_database,
    median,
    now_iso,
    percentile,
    rotate,
)
from .profiling import Profile, profile_summary
from .targets import TARGETS_BY_ID

SOURCE = "bench-service"
STREAM_TYPE = "order"
VARIANTS = ("ours", "asyncpg", "eventsourcing", "ours-autocommit")
LABELS = {
    "ours": "ours (EventStore.append, SQLAlchemy + asyncpg)",
    "ours-autocommit": "diagnostic: ours without BEGIN/COMMIT (append as its own statement)",
    "asyncpg": "bare asyncpg INSERT (no version check, no outbox)",
    "eventsourcing": "eventsourcing PostgresApplicationRecorder (psycopg 3)",
}


@dataclass(frozen=True)
class Workload:
    events: int
    writers: int
    batch: int
    appends_per_stream: int


@dataclass
class Plan:
    """Per writer, its appends in order: (stream index, appends already made to it)."""

    writers: list[list[tuple[int, int]]]
    stream_ids: list[str]
    stream_uuids: list[uuid.UUID]
    models: list[list[StockReserved]]  # per stream, one append's events
    payloads: list[list[str]]  # the same, serialised (for the baselines)
    events: int

    @property
    def appends(self) -> int:
        return sum(len(w) for w in self.writers)


def make_plan(work: Workload) -> Plan:
    appends = max(1, -(-work.events // work.batch))
    writers: list[list[tuple[int, int]]] = []
    stream = 0
    for w in range(work.writers):
        mine = appends // work.writers + (1 if w < appends % work.writers else 0)
        todo: list[tuple[int, int]] = []
        while len(todo) < mine:
            for k in range(min(work.appends_per_stream, mine - len(todo))):
                todo.append((stream, k))
            stream += 1
        writers.append(todo)
    stream_ids = [f"order-{i:08d}" for i in range(stream)]
    models = [
        [
            StockReserved(
                order_id=sid, line_no=j + 1, sku=f"SKU-{(i * 7 + j) % 5000:05d}", quantity=1 + j % 5
            )
            for j in range(work.batch)
        ]
        for i, sid in enumerate(stream_ids)
    ]
    payloads = [[orjson.dumps(m.model_dump(mode="json")).decode() for m in ms] for ms in models]
    plan = Plan(writers, stream_ids, [uuid.uuid4() for _ in stream_ids], models, payloads, 0)
    plan.events = plan.appends * work.batch
    return plan


@dataclass
class RoundResult:
    variant: str
    events: int
    seconds: float
    latencies: list[float]
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


class Variant(ABC):
    """One way of writing the plan's events; opened and closed once per round."""

    key: str

    def __init__(self, env: BenchEnv, db: Database, work: Workload, plan: Plan) -> None:
        self.env = env
        self.db = db
        self.work = work
        self.plan = plan

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    async def run(self, counter: Counter | None, warm_up: bool = False) -> list[float]:
        """Run the plan (or a few appends per writer on other streams); per-append seconds."""

    @abstractmethod
    def tables(self) -> str:
        """The tables to empty between rounds."""


class Ours(Variant):
    key = "ours"
    engine: AsyncEngine

    async def open(self) -> None:
        self.engine = create_async_engine(self.db.url, pool_size=self.work.writers, max_overflow=0)
        self.store = EventStore(SOURCE)

    async def close(self) -> None:
        await self.engine.dispose()

    def tables(self) -> str:
        return "public.event_streams, public.events, public.outbox"

    async def run(self, counter: Counter | None, warm_up: bool = False) -> list[float]:
        plan, batch, engine, store = self.plan, self.work.batch, self.engine, self.store

        async def writer(w: int, todo: list[tuple[int, int]]) -> list[float]:
            latencies: list[float] = []
            for stream, k in todo:
                sid = f"warm-{w}-{stream}" if warm_up else plan.stream_ids[stream]
                started = time.perf_counter()
                async with engine.begin() as conn:
                    await store.append(conn, sid, STREAM_TYPE, k * batch, plan.models[stream])
                latencies.append(time.perf_counter() - started)
                if counter is not None:
                    counter.advance(batch)
            return latencies

        return _flatten(await asyncio.gather(*(writer(w, t) for w, t in _todo(plan, warm_up))))


class OursAutocommit(Ours):
    """Diagnostic: the same ``EventStore.append`` on a connection with no transaction open.

    The append is one statement, so it is still atomic; what goes away is SQLAlchemy's
    BEGIN and COMMIT round trips. It measures what those cost, not a supported usage."""

    key = "ours-autocommit"

    async def run(self, counter: Counter | None, warm_up: bool = False) -> list[float]:
        plan, batch, engine, store = self.plan, self.work.batch, self.engine, self.store

        async def writer(w: int, todo: list[tuple[int, int]]) -> list[float]:
            latencies: list[float] = []
            for stream, k in todo:
                sid = f"warm-{w}-{stream}" if warm_up else plan.stream_ids[stream]
                started = time.perf_counter()
                async with engine.connect() as conn:
                    await store.append(conn, sid, STREAM_TYPE, k * batch, plan.models[stream])
                latencies.append(time.perf_counter() - started)
                if counter is not None:
                    counter.advance(batch)
            return latencies

        return _flatten(await asyncio.gather(*(writer(w, t) for w, t in _todo(plan, warm_up))))


_BARE_SINGLE = """
INSERT INTO events (event_id, stream_id, stream_version, type, source, topic, occurred_at, correlation_id,
                    causation_id, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
"""
_BARE_BATCH = """
INSERT INTO events (event_id, stream_id, stream_version, type, source, topic, occurred_at, correlation_id,
                    causation_id, data)
SELECT u.event_id, $2, $3 + u.ord, $4, $5, $6, $7, $8, $9, u.data::jsonb
FROM unnest($1::uuid[], $10::text[]) WITH ORDINALITY AS u(event_id, data, ord)
"""


class BareAsyncpg(Variant):
    key = "asyncpg"
    pool: Any

    async def open(self) -> None:
        admin = await asyncpg.connect(self.db.dsn)
        try:
            exists = await admin.fetchval("SELECT 1 FROM pg_namespace WHERE nspname = 'bare'")
            if not exists:  # the event store tables, again, in their own schema
                await admin.execute("CREATE SCHEMA bare")
                await admin.execute("SET search_path TO bare")
                for path in EVENT_STORE_MIGRATIONS.files():
                    await admin.execute(path.read_text())
        finally:
            await admin.close()
        self.pool = await asyncpg.create_pool(
            self.db.dsn,
            min_size=self.work.writers,
            max_size=self.work.writers,
            server_settings={"search_path": "bare"},
        )

    async def close(self) -> None:
        await self.pool.close()

    def tables(self) -> str:
        return "bare.events"

    async def run(self, counter: Counter | None, warm_up: bool = False) -> list[float]:
        plan, batch, pool = self.plan, self.work.batch, self.pool
        event_type = StockReserved.cloud_type()
        topic = StockReserved.topic

        async def writer(w: int, todo: list[tuple[int, int]]) -> list[float]:
            latencies: list[float] = []
            for stream, k in todo:
                sid = f"warm-{w}-{stream}" if warm_up else plan.stream_ids[stream]
                data = plan.payloads[stream]
                started = time.perf_counter()
                now = dt.datetime.now(dt.UTC)
                correlation = str(uuid.uuid4())
                async with pool.acquire() as conn:
                    if batch == 1:
                        await conn.execute(
                            _BARE_SINGLE,
                            uuid.uuid4(),
                            sid,
                            k + 1,
                            event_type,
                            SOURCE,
                            topic,
                            now,
                            correlation,
                            None,
                            data[0],
                        )
                    else:
                        await conn.execute(
                            _BARE_BATCH,
                            [uuid.uuid4() for _ in data],
                            sid,
                            k * batch,
                            event_type,
                            SOURCE,
                            topic,
                            now,
                            correlation,
                            None,
                            data,
                        )
                latencies.append(time.perf_counter() - started)
                if counter is not None:
                    counter.advance(batch)
            return latencies

        return _flatten(await asyncio.gather(*(writer(w, t) for w, t in _todo(plan, warm_up))))


class EventSourcingLib(Variant):
    key = "eventsourcing"

    async def open(self) -> None:
        parts = urlsplit(self.env.pg_server)
        self.datastore = PostgresDatastore(
            dbname=self.db.name,
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            pool_size=self.work.writers,
            max_overflow=0,
        )
        self.recorder = PostgresApplicationRecorder(self.datastore)
        await asyncio.to_thread(self.recorder.create_table)
        self.executor = ThreadPoolExecutor(max_workers=self.work.writers, thread_name_prefix="es-writer")

    async def close(self) -> None:
        self.executor.shutdown(wait=True)
        await asyncio.to_thread(self.datastore.close)

    def tables(self) -> str:
        return "public.stored_events"

    async def run(self, counter: Counter | None, warm_up: bool = False) -> list[float]:
        plan, batch, recorder = self.plan, self.work.batch, self.recorder
        event_type = StockReserved.cloud_type()
        states = [[p.encode() for p in payloads] for payloads in plan.payloads]
        warm_ids: dict[tuple[int, int], uuid.UUID] = {}

        def writer(w: int, todo: list[tuple[int, int]]) -> list[float]:
            latencies: list[float] = []
            for stream, k in todo:
                originator = (
                    warm_ids.setdefault((w, stream), uuid.uuid4()) if warm_up else plan.stream_uuids[stream]
                )
                started = time.perf_counter()
                recorder.insert_events(
                    [
                        StoredEvent(
                            originator_id=originator,
                            originator_version=k * batch + i + 1,
                            topic=event_type,
                            state=state,
                        )
                        for i, state in enumerate(states[stream])
                    ]
                )
                latencies.append(time.perf_counter() - started)
                if counter is not None:
                    counter.advance(batch)
            return latencies

        loop = asyncio.get_running_loop()
        results = await asyncio.gather(
            *(loop.run_in_executor(self.executor, writer, w, t) for w, t in _todo(plan, warm_up))
        )
        return _flatten(results)


def _todo(plan: Plan, warm_up: bool) -> list[tuple[int, list[tuple[int, int]]]]:
    if warm_up:  # two appends per writer, to open every connection and prepare statements
        return [
            (w, [(todo[0][0], 0), (todo[0][0], 1)] if todo else []) for w, todo in enumerate(plan.writers)
        ]
    return list(enumerate(plan.writers))


def _flatten(lists: list[list[float]]) -> list[float]:
    return [x for xs in lists for x in xs]


_CLASSES: dict[str, type[Variant]] = {
    "ours": Ours,
    "asyncpg": BareAsyncpg,
    "eventsourcing": EventSourcingLib,
    "ours-autocommit": OursAutocommit,
}


async def _one_round(
    ctx: BenchContext, db: Database, work: Workload, plan: Plan, key: str, label: str, profile: Profile | None
) -> RoundResult:
    variant = _CLASSES[key](ctx.env, db, work, plan)
    await variant.open()
    try:
        await variant.run(None, warm_up=True)
        admin = await asyncpg.connect(db.dsn)
        try:
            await admin.execute(f"TRUNCATE {variant.tables()} RESTART IDENTITY")
        finally:
            await admin.close()
        await checkpoint(db.dsn)
        meter = CpuMeter(pg_pids=await backend_pids(db.dsn))
        counter = ctx.counter(label, plan.events)
        meter.start()
        if profile is not None:
            profile.start()
        watch = Stopwatch()
        latencies = await variant.run(counter)
        seconds = watch.elapsed()
        if profile is not None:
            profile.stop()
        cpu = meter.stop()
        counter.done()
        await _verify(db, key, plan)
        return RoundResult(key, plan.events, seconds, latencies, cpu)
    finally:
        await variant.close()


async def _verify(db: Database, key: str, plan: Plan) -> None:
    """The timed run wrote exactly the planned events (so no variant skipped work)."""
    table = {"asyncpg": "bare.events", "eventsourcing": "public.stored_events"}.get(key, "public.events")
    conn = await asyncpg.connect(db.dsn)
    try:
        count = await conn.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
        if key.startswith("ours"):
            pending = await conn.fetchval("SELECT count(*) FROM public.outbox WHERE published_at IS NULL")
            if pending != plan.events:
                raise AssertionError(f"ours: {pending} outbox rows, expected {plan.events}")
    finally:
        await conn.close()
    if count != plan.events:
        raise AssertionError(f"{key}: {count} events stored, expected {plan.events}")


async def run_store(
    ctx: BenchContext, *, name: str, title: str, batch: int, appends_per_stream: int
) -> BenchResult:
    work = Workload(events=ctx.size, writers=16, batch=batch, appends_per_stream=appends_per_stream)
    plan = make_plan(work)
    started = Stopwatch()
    rounds: list[dict[str, RoundResult]] = []
    profile_lines: list[str] = []
    async with fresh_database(ctx.env) as db:
        for r in range(ctx.rounds):
            results: dict[str, RoundResult] = {}
            for key in rotate(VARIANTS, r):
                results[key] = await _one_round(
                    ctx, db, work, plan, key, f"{name} round {r + 1}/{ctx.rounds}: {key}", None
                )
            rounds.append(results)
        if ctx.profile:
            profile = Profile()
            profiled = await _one_round(ctx, db, work, plan, "ours", f"{name} profiled: ours", profile)
            profile_lines = profile_summary(
                profile,
                wall_seconds=profiled.seconds,
                events=profiled.events,
                cpu=profiled.cpu,
                html_path=ctx.artifacts / f"profile-{name}.html",
            )
    return _result(ctx, name, title, work, plan, rounds, profile_lines, started.elapsed())


def _result(
    ctx: BenchContext,
    name: str,
    title: str,
    work: Workload,
    plan: Plan,
    rounds: list[dict[str, RoundResult]],
    profile_lines: list[str],
    duration: float,
) -> BenchResult:
    rate = {k: median(r[k].rate for r in rounds) for k in VARIANTS}
    vs_es = median(r["ours"].rate / r["eventsourcing"].rate for r in rounds)
    vs_bare = median(r["ours"].rate / r["asyncpg"].rate for r in rounds)
    vs_auto = median(r["ours-autocommit"].rate / r["ours"].rate for r in rounds)
    lat = {k: [x for r in rounds for x in r[k].latencies] for k in VARIANTS}
    cpu = {
        (k, side): median(r[k].cpu.get(side, 0.0) / r[k].events * 1e6 for r in rounds)
        for k in VARIANTS
        for side in ("client", "postgres")
    }
    metrics: list[Metric] = [
        Metric(f"{_id(k)}_events_per_s", LABELS[k], rate[k], "events/s") for k in VARIANTS
    ]
    for k in VARIANTS:
        for q in (50, 99):
            metrics.append(
                Metric(
                    f"{_id(k)}_append_p{q}_ms", f"{k}: append latency p{q}", percentile(lat[k], q) * 1e3, "ms"
                )
            )
    for k in VARIANTS:
        for side in ("client", "postgres"):
            metrics.append(
                Metric(
                    f"{_id(k)}_{side}_cpu_us_per_event", f"{k}: {side} CPU per event", cpu[(k, side)], "µs"
                )
            )
    key = _id(name)
    ratios = [
        Metric(f"{key}_vs_eventsourcing", "ours / eventsourcing", vs_es, "x"),
        Metric(f"{key}_vs_asyncpg", "ours / bare asyncpg INSERT", vs_bare, "x"),
        Metric(f"{key}_autocommit_vs_ours", "diagnostic: ours without BEGIN/COMMIT / ours", vs_auto, "x"),
    ]
    per_round = "; ".join(
        f"round {i + 1}: " + ", ".join(f"{k} {r[k].rate:,.0f}" for k in VARIANTS)
        for i, r in enumerate(rounds)
    )
    ours_cpu = median(r["ours"].cpu.get("client", 0.0) / r["ours"].seconds for r in rounds)
    pg_cpu = median(r["ours"].cpu.get("postgres", 0.0) / r["ours"].seconds for r in rounds)
    notes = [
        f"Workload: {plan.events:,} events per variant and round, {work.writers} writers, "
        f"{work.batch} event(s) per append (one transaction each), {work.appends_per_stream} appends per "
        f"stream ({len(plan.stream_ids):,} streams), payload `StockReserved` "
        f"(~{len(plan.payloads[0][0])} bytes of JSON); {ctx.rounds} round(s), variants in rotating order. "
        "Ours serialises the pydantic events inside the timed append; the baselines get the JSON ready-made.",
        "The eventsourcing recorder takes `LOCK TABLE ... IN EXCLUSIVE MODE` in every insert (to keep its "
        "notification ids in commit order), so its writers run one at a time; when the machine is busy a "
        "descheduled lock holder stalls all of them, so ours / eventsourcing grows with machine load.",
        f"Events/s per round: {per_round}.",
        f"While ours ran, the benchmark process used {ours_cpu:.2f} CPU-seconds per second "
        f"(1.00 = one core; asyncio runs on one) and its PostgreSQL backends {pg_cpu:.2f}, on {_cores()} "
        "cores shared with Kafka and whatever else runs on the machine. CPU per event counts the "
        "benchmark process (harness included) and the PostgreSQL backends of the benchmark database "
        "(not the WAL writer or checkpointer).",
    ]
    busy = median(r["ours"].cpu.get("machine_busy", 0.0) for r in rounds)
    findings = _findings(
        key,
        work,
        rate,
        lat,
        cpu,
        {"eventsourcing": vs_es, "asyncpg": vs_bare, "autocommit": vs_auto},
        busy,
    )
    return BenchResult(
        name=name,
        title=title,
        params={
            "events": plan.events,
            "writers": work.writers,
            "batch": work.batch,
            "appends_per_stream": work.appends_per_stream,
            "rounds": ctx.rounds,
        },
        metrics=metrics,
        ratios=ratios,
        measurements={f"{key}_events_per_s": rate["ours"], f"{key}_vs_eventsourcing": vs_es},
        notes=notes,
        profile=profile_lines,
        findings=findings,
        measured_at=now_iso(),
        duration_s=duration,
    )


def _id(name: str) -> str:
    return name.replace("-", "_")


def _findings(
    key: str,
    work: Workload,
    rate: dict[str, float],
    lat: dict[str, list[float]],
    cpu: dict[tuple[str, str], float],
    ratios: dict[str, float],
    machine_busy: float,
) -> list[str]:
    """What limits ours, from the numbers of this run."""
    target = TARGETS_BY_ID[f"{key}_events_per_s"]
    ours = rate["ours"]
    client, server = cpu[("ours", "client")], cpu[("ours", "postgres")]
    cores = _cores()
    need = (client + server) * target.value / 1e6
    ceiling = cores * 1e6 / (client + server) if client + server else float("inf")
    client_ceiling = 1e6 / client if client else float("inf")
    p50 = percentile(lat["ours"], 50)
    status = "meets" if target.met(ours) else "misses"
    vs_auto = ratios["autocommit"]
    lines = [
        f"- Ours: {ours:,.0f} events/s, {status} the target ({target.describe()}); "
        f"ours / eventsourcing {ratios['eventsourcing']:.2f}x, ours / bare asyncpg {ratios['asyncpg']:.2f}x "
        "(medians of the per-round ratios).",
        f"- CPU per event: benchmark process {client:,.1f} µs, PostgreSQL {server:,.1f} µs "
        f"(bare asyncpg: {cpu[('asyncpg', 'client')]:,.1f} + {cpu[('asyncpg', 'postgres')]:,.1f} µs). "
        f"At the target rate that is {need:.2f} cores for client and server together, of this machine's "
        f"{cores}. With all {cores} cores to themselves they could do about {ceiling:,.0f} events/s; the "
        f"asyncio client alone (one core) about {client_ceiling:,.0f}.",
        f"- Machine: while ours ran, the machine's cores were {machine_busy:.0%} busy; the benchmark "
        f"process and its PostgreSQL backends account for {(client + server) * ours / 1e6 / cores:.0%} "
        "of the machine, the rest is other work (Kafka, PostgreSQL's WAL writer, other processes).",
        f"- Waiting: an append took {p50 * 1e3:.2f} ms at the median, so {work.writers} writers "
        f"can at most do {_ratio(work.writers * work.batch, p50):,.0f} events/s; a bare INSERT "
        f"(one round trip, its own commit) took {percentile(lat['asyncpg'], 50) * 1e3:.2f} ms. "
        "Ours costs three round trips per append (SQLAlchemy's BEGIN, the append statement, "
        "COMMIT); the same statement without BEGIN/COMMIT (diagnostic variant) "
        f"ran {vs_auto:.2f}x as fast as ours, at {cpu[('ours-autocommit', 'client')]:,.1f} µs "
        f"client + {cpu[('ours-autocommit', 'postgres')]:,.1f} µs server CPU per event.",
    ]
    ratio_target = TARGETS_BY_ID[f"{key}_vs_eventsourcing"]
    if not ratio_target.met(ratios["eventsourcing"]):
        es_client, es_server = cpu[("eventsourcing", "client")], cpu[("eventsourcing", "postgres")]
        budget = (es_client + es_server) / ratio_target.value
        cpu_ratio = _ratio(client + server, es_client + es_server)
        lines.append(
            f"- Ratio to eventsourcing: {ratios['eventsourcing']:.2f}x misses {ratio_target.describe()}. Per "
            f"event eventsourcing spent {es_client:,.1f} µs client + {es_server:,.1f} µs PostgreSQL, ours "
            f"{client:,.1f} + {server:,.1f} µs ({cpu_ratio:.2f}x its CPU). "
            "With the cores busy, throughput follows CPU per event, so ours keeps little more than what "
            "eventsourcing loses to its table lock. Ours does more "
            "in PostgreSQL per event (an events row with jsonb and three unique indexes plus an outbox row "
            "with two indexes, against one bytea row with two indexes) and, in Python, a `uuid4` and its "
            "string, a `model_dump` + JSON encoding and a `RecordedEvent`/`Envelope` for the return value "
            f"(see the profile). 1.5x takes ours down to about {budget:,.0f} µs per event in total - e.g. "
            "no outbox row per event (the relay following the events table by position), cheaper event "
            "ids, and building the returned records lazily."
        )
    if target.met(ours):
        return lines
    cost = client + server
    got = cost * ours / 1e6  # cores the benchmark and its backends actually used
    cheaper = []
    if vs_auto > 1.1:
        cheaper.append(
            f"dropping the BEGIN/COMMIT round trips when the append is its transaction's only statement "
            f"(the diagnostic variant: {vs_auto:.2f}x)"
        )
    if work.batch == 1:
        cheaper.append("less SQLAlchemy work per transaction (begin, pool checkout, commit; see the profile)")
    cheaper.append(
        "less per-event work in `append` (a `uuid4` and its string, `model_dump` + JSON, the "
        "`RecordedEvent`/`Envelope` built for the return value; see the profile) and in PostgreSQL (the "
        "outbox row and its index next to each event)"
    )
    if need > 0.9 * cores or machine_busy > 0.9:
        lines.append(
            f"- Bottleneck: CPU. Ours did {ours:,.0f} events/s at {cost:,.0f} µs of CPU per event, i.e. "
            f"{got:.2f} cores - "
            + (
                f"about what the machine had left ({machine_busy:.0%} of its {cores} cores busy in all, "
                "the rest with other work). "
                if machine_busy > 0.9
                else f"of the machine's {cores} ({machine_busy:.0%} busy in all). "
            )
            + "An otherwise idle machine would allow about "
            f"{ceiling:,.0f} (the one-core asyncio client alone about {client_ceiling:,.0f}); more writers "
            f"do not help. Reaching the target with {got:.2f} cores takes "
            f"{got * 1e6 / target.value:,.0f} µs per event instead of {cost:,.0f}: "
            + "; ".join(cheaper)
            + " - or the client on another machine than PostgreSQL, as in production."
        )
    else:
        lines.append(
            "- Bottleneck: waiting on round trips and commits (CPU is not saturated). It takes "
            + "; ".join(cheaper[:1])
            + ", or more concurrent writers so PostgreSQL's group commit flushes more transactions per "
            "WAL flush."
        )
    return lines


def _ratio(part: float, whole: float) -> float:
    """``part / whole``, or 0 when a tiny run's sample of ``whole`` is zero (the report must not fail)."""
    return part / whole if whole else 0.0


def _cores() -> int:
    return os.cpu_count() or 0


async def store_single(ctx: BenchContext) -> BenchResult:
    return await run_store(
        ctx,
        name="store-single",
        title="Event store: single-event appends, 16 writers",
        batch=1,
        appends_per_stream=10,
    )


async def store_batch(ctx: BenchContext) -> BenchResult:
    return await run_store(
        ctx,
        name="store-batch",
        title="Event store: 100-event batch appends, 16 writers",
        batch=100,
        appends_per_stream=5,
    )
