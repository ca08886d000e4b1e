"""Outbox relay to Kafka: throughput draining a pre-filled outbox, and append-to-Kafka latency.

* ``relay``: N events are appended (untimed) in 100-event batches, then ``OutboxRelay.run``
  is timed from its start until it has published all N (acks=all, idempotent producer,
  its default batch of 2,000). Baseline in the same round: a bare ``AIOKafkaProducer``
  with the same settings sending the same N records (same topic, key, value and
  CloudEvents headers) in the same chunks, without PostgreSQL.
* ``relay-latency``: events are appended open-loop at a fixed rate (one transaction each,
  16 connections) while the relay runs with its default 20 ms idle poll; a consumer in its
  own thread, assigned to the topic's partitions at their end, stamps each record's
  arrival. Latency is arrival minus the start of the append (and minus its commit).
  Baseline: the same rate produced straight to Kafka with the relay's producer settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backoffice_events.catalog import ORDERS
from backoffice_events.catalog.orders import StockReserved
from backoffice_events.kafka import KafkaConfig, end_offsets, reliable_producer
from backoffice_events.outbox import OutboxRelay, outbox_backlog
from backoffice_events.store import EventStore, envelope_from_row

from .core import (
    BenchContext,
    BenchResult,
    CpuMeter,
    Database,
    Metric,
    Stopwatch,
    bench_topics,
    checkpoint,
    fresh_database,
    kafka_pids,
    median,
    now_iso,
    percentile,
    rotate,
)
from .targets import TARGETS_BY_ID

PARTITIONS = 6
SOURCE = "bench-service"
CHUNK = 2000  # the relay's default batch size; the producer baseline sends in the same chunks


@dataclass(frozen=True)
class Record:
    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]


# --------------------------------------------------------------------------- helpers


async def prefill(engine: AsyncEngine, events: int, tag: str, writers: int = 4) -> None:
    """Append ``events`` (untimed) in 100-event batches to streams of their own."""
    store = EventStore(SOURCE)
    batches = -(-events // 100)

    async def writer(w: int) -> None:
        for b in range(w, batches, writers):
            count = min(100, events - b * 100)
            sid = f"order-{tag}-{b:06d}"
            models = [
                StockReserved(order_id=sid, line_no=j + 1, sku=f"SKU-{j:05d}", quantity=1)
                for j in range(count)
            ]
            async with engine.begin() as conn:
                await store.append(conn, sid, "order", 0, models)

    await asyncio.gather(*(writer(w) for w in range(writers)))


async def records_of(db: Database, kafka: KafkaConfig, limit: int) -> list[Record]:
    """The last ``limit`` events as the relay would send them (for the producer baseline)."""
    conn = await asyncpg.connect(db.dsn)
    try:
        rows = await conn.fetch(
            "SELECT event_id, stream_id, stream_version, type, source, topic, occurred_at, correlation_id,"
            " causation_id, actor, data::text AS data FROM events ORDER BY position DESC LIMIT $1",
            limit,
        )
    finally:
        await conn.close()
    out = []
    for r in reversed(rows):
        env = envelope_from_row(r, {})
        out.append(Record(kafka.topic(r["topic"]), env.kafka_key(), r["data"].encode(), env.kafka_headers()))
    return out


async def topic_end(kafka: KafkaConfig, logical: str) -> int:
    """Records on a topic so far (sum of its partitions' end offsets)."""
    return sum((await end_offsets(kafka, [kafka.topic(logical)])).values())


# --------------------------------------------------------------------------- throughput


@dataclass
class Phase:
    events: int
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)
    # For the relay: when its first batch was done (connect, lock, producer start, one batch)
    # and how many events that batch held; the steady rate leaves that start-up out.
    first_batch_s: float = 0.0
    first_batch: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def steady_rate(self) -> float:
        if self.first_batch == 0 or self.first_batch >= self.events or self.seconds <= self.first_batch_s:
            return self.rate
        return (self.events - self.first_batch) / (self.seconds - self.first_batch_s)


async def _time_relay(ctx: BenchContext, db: Database, kafka: KafkaConfig, events: int, label: str) -> Phase:
    relay = OutboxRelay(db.dsn, f"bench-{uuid.uuid4().hex[:8]}", kafka)
    done = asyncio.Event()
    counter = ctx.counter(label, events)

    first: list[tuple[float, int]] = []

    def on_publish(n: int) -> None:
        if not first:
            first.append((watch.elapsed(), n))
        counter.advance(n)
        if relay.stats.published >= events:
            done.set()

    relay.stats.on_publish.append(on_publish)
    before = await topic_end(kafka, ORDERS)
    await checkpoint(db.dsn)
    meter = CpuMeter(broker_pids=kafka_pids())
    meter.start()
    watch = Stopwatch()
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(done.wait(), timeout=max(60.0, events / 2000))
        seconds = watch.elapsed()
        cpu = meter.stop()
    finally:
        relay.stop()
        await task
        counter.done()
    conn = await asyncpg.connect(db.dsn)
    try:
        backlog = await outbox_backlog(conn)
    finally:
        await conn.close()
    after = await topic_end(kafka, ORDERS)
    if backlog != 0 or after - before != events:
        raise AssertionError(
            f"relay: backlog {backlog}, {after - before} records on Kafka, expected {events}"
        )
    return Phase(events, seconds, cpu, first[0][0], first[0][1])


async def _time_producer(ctx: BenchContext, kafka: KafkaConfig, records: list[Record], label: str) -> Phase:
    producer = reliable_producer(kafka)
    await producer.start()
    counter = ctx.counter(label, len(records))
    before = await topic_end(kafka, ORDERS)
    meter = CpuMeter(broker_pids=kafka_pids())
    try:
        meter.start()
        watch = Stopwatch()
        for start in range(0, len(records), CHUNK):
            chunk = records[start : start + CHUNK]
            futures = [
                await producer.send(r.topic, value=r.value, key=r.key, headers=r.headers) for r in chunk
            ]
            await asyncio.gather(*futures)
            counter.advance(len(chunk))
        seconds = watch.elapsed()
        cpu = meter.stop()
    finally:
        await producer.stop()
        counter.done()
    after = await topic_end(kafka, ORDERS)
    if after - before != len(records):
        raise AssertionError(f"producer: {after - before} records on Kafka, expected {len(records)}")
    return Phase(len(records), seconds, cpu)


class _TimedConnection:
    """The relay's asyncpg connection, timing its reads (fetch) and writes (execute)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.fetch_s = 0.0
        self.execute_s = 0.0

    async def fetch(self, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await self.conn.fetch(*args)
        finally:
            self.fetch_s += time.perf_counter() - started

    async def execute(self, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return await self.conn.execute(*args)
        finally:
            self.execute_s += time.perf_counter() - started


class _TimedProducer:
    """The relay's producer, timing ``send`` (serialise, partition, enqueue into a batch)."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.send_s = 0.0

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await self.producer.send(*args, **kwargs)
        finally:
            self.send_s += time.perf_counter() - started


@dataclass
class Breakdown:
    events: int
    seconds: float
    fetch_s: float
    mark_s: float
    send_s: float
    envelope_s: float
    client_cpu_s: float

    @property
    def acks_s(self) -> float:
        return max(0.0, self.seconds - self.fetch_s - self.mark_s - self.send_s - self.envelope_s)


async def _relay_breakdown(
    ctx: BenchContext, db: Database, kafka: KafkaConfig, engine: AsyncEngine, events: int
) -> Breakdown:
    """One more drain with ``OutboxRelay.publish_batch`` called in a loop on timed wrappers."""
    fill = ctx.counter("relay breakdown: pre-filling the outbox", None)
    await prefill(engine, events, "diag")
    fill.done()
    relay = OutboxRelay(db.dsn, "bench-breakdown", kafka)
    conn = await asyncpg.connect(db.dsn)
    producer = reliable_producer(kafka)
    await producer.start()
    counter = ctx.counter("relay breakdown: timed publish_batch loop", events)
    try:
        timed_conn, timed_producer = _TimedConnection(conn), _TimedProducer(producer)
        meter = CpuMeter()
        meter.start()
        watch = Stopwatch()
        while sent := await relay.publish_batch(timed_conn, timed_producer):
            counter.advance(sent)
        seconds = watch.elapsed()
        client_cpu = meter.stop().get("client", 0.0)
        # What building the envelopes and headers costs, measured apart on the same rows.
        rows = await conn.fetch(
            "SELECT event_id, stream_id, stream_version, type, source, topic, occurred_at, correlation_id,"
            " causation_id, actor, data::text AS data FROM events ORDER BY position DESC LIMIT $1",
            min(events, CHUNK),
        )
        started = time.perf_counter()
        for r in rows:
            env = envelope_from_row(r, {})
            env.kafka_key()
            env.kafka_headers()
            r["data"].encode()
        per_event = (time.perf_counter() - started) / max(1, len(rows))
    finally:
        await producer.stop()
        await conn.close()
        counter.done()
    return Breakdown(
        events,
        seconds,
        timed_conn.fetch_s,
        timed_conn.execute_s,
        timed_producer.send_s,
        per_event * events,
        client_cpu,
    )


async def relay_throughput(ctx: BenchContext) -> BenchResult:
    events = ctx.size
    started = Stopwatch()
    rounds: list[dict[str, Phase]] = []
    async with fresh_database(ctx.env) as db, bench_topics(ctx.env, PARTITIONS) as kafka:
        engine = create_async_engine(db.url, pool_size=4, max_overflow=0)
        try:
            records: list[Record] = []
            for r in range(ctx.rounds):
                phases: dict[str, Phase] = {}
                for key in rotate(("relay", "producer"), r):
                    label = f"relay round {r + 1}/{ctx.rounds}: {key}"
                    if key == "relay":
                        fill = ctx.counter(f"relay round {r + 1}/{ctx.rounds}: pre-filling the outbox", None)
                        await prefill(engine, events, f"r{r}")
                        fill.done()
                        if not records:
                            records = await records_of(db, kafka, events)
                        phases[key] = await _time_relay(ctx, db, kafka, events, label)
                    else:
                        if not records:
                            await prefill(engine, events, "records")
                            records = await records_of(db, kafka, events)
                            await _drain(db)
                        phases[key] = await _time_producer(ctx, kafka, records, label)
                rounds.append(phases)
            breakdown = await _relay_breakdown(ctx, db, kafka, engine, events)
        finally:
            await engine.dispose()
    relay_rate = median(p["relay"].steady_rate for p in rounds)
    relay_total = median(p["relay"].rate for p in rounds)
    startup = median(p["relay"].first_batch_s for p in rounds)
    producer_rate = median(p["producer"].rate for p in rounds)
    ratio = median(p["relay"].steady_rate / p["producer"].rate for p in rounds)
    client_cpu = median(p["relay"].cpu.get("client", 0.0) / p["relay"].seconds for p in rounds)
    busy = median(p["relay"].cpu.get("machine_busy", 0.0) for p in rounds)
    broker_cpu = median(p["relay"].cpu.get("kafka", 0.0) / p["relay"].seconds for p in rounds)
    producer_client_cpu = median(p["producer"].cpu.get("client", 0.0) / p["producer"].seconds for p in rounds)
    per_round = "; ".join(
        f"round {i + 1}: relay {p['relay'].steady_rate:,.0f} (with start-up {p['relay'].rate:,.0f}), "
        f"producer {p['producer'].rate:,.0f}"
        for i, p in enumerate(rounds)
    )
    b = breakdown
    return BenchResult(
        name="relay",
        title="Outbox relay to Kafka: draining a pre-filled outbox",
        params={"events": events, "rounds": ctx.rounds, "partitions": PARTITIONS, "relay_batch": CHUNK},
        metrics=[
            Metric(
                "relay_events_per_s", "ours: OutboxRelay.run, after its first batch", relay_rate, "events/s"
            ),
            Metric(
                "relay_with_startup_events_per_s",
                "ours: OutboxRelay.run, whole drain incl. connect, lock, producer start",
                relay_total,
                "events/s",
            ),
            Metric(
                "relay_first_batch_ms", "ours: start until the first batch was published", startup * 1e3, "ms"
            ),
            Metric(
                "producer_events_per_s",
                "bare AIOKafkaProducer, same records and settings, no PostgreSQL",
                producer_rate,
                "events/s",
            ),
            Metric(
                "relay_client_cpu_cores", "ours: benchmark process CPU while relaying", client_cpu, "cores"
            ),
            Metric("relay_kafka_cpu_cores", "ours: Kafka broker CPU while relaying", broker_cpu, "cores"),
            Metric(
                "producer_client_cpu_cores",
                "bare producer: benchmark process CPU",
                producer_client_cpu,
                "cores",
            ),
            Metric(
                "breakdown_events_per_s",
                "instrumented drain (publish_batch loop)",
                b.events / b.seconds,
                "events/s",
            ),
            Metric(
                "breakdown_client_cpu_cores",
                "instrumented drain: process CPU",
                b.client_cpu_s / b.seconds,
                "cores",
            ),
            Metric(
                "breakdown_fetch_us", "per event: reading the outbox batch", b.fetch_s / b.events * 1e6, "µs"
            ),
            Metric("breakdown_mark_us", "per event: marking it published", b.mark_s / b.events * 1e6, "µs"),
            Metric("breakdown_send_us", "per event: producer.send", b.send_s / b.events * 1e6, "µs"),
            Metric(
                "breakdown_envelope_us", "per event: envelope + headers", b.envelope_s / b.events * 1e6, "µs"
            ),
            Metric(
                "breakdown_acks_us", "per event: the rest (acks, scheduling)", b.acks_s / b.events * 1e6, "µs"
            ),
        ],
        ratios=[Metric("relay_vs_producer", "relay / bare aiokafka producer", ratio, "x")],
        measurements={"relay_events_per_s": relay_rate},
        findings=_relay_findings(
            relay_rate,
            producer_rate,
            client_cpu,
            broker_cpu,
            busy,
            breakdown,
            [p["relay"].steady_rate for p in rounds],
        ),
        notes=[
            f"Workload: {events:,} `StockReserved` events pre-filled per round ({-(-events // 100):,} "
            f"streams of up to 100), topic with {PARTITIONS} partitions, producer acks=all + "
            f"idempotence, linger 5 ms; relay batch {CHUNK}. Timed from `OutboxRelay.run()` start until "
            "the last batch was acknowledged and marked published; the number held against the target "
            "leaves out the start-up (connect, advisory lock, producer start with its InitProducerId, "
            "first batch), which a long-running relay pays once. The outbox backlog and the topic's end "
            "offsets are checked after every drain.",
            f"Events/s per round: {per_round}.",
        ],
        measured_at=now_iso(),
        duration_s=started.elapsed(),
    )


def _relay_findings(
    relay_rate: float,
    producer_rate: float,
    client_cpu: float,
    broker_cpu: float,
    machine_busy: float,
    b: Breakdown,
    round_rates: list[float],
) -> list[str]:
    target = TARGETS_BY_ID["relay_events_per_s"]
    status = "meets" if target.met(relay_rate) else "misses"

    def share(x: float) -> str:
        return f"{x / b.seconds:.0%} ({x / b.events * 1e6:,.1f} µs/event)"

    python_us = (b.send_s + b.envelope_s) / b.events * 1e6
    db_us = (b.fetch_s + b.mark_s) / b.events * 1e6
    cpu_share = b.client_cpu_s / b.seconds
    lines = [
        f"- Relay: {relay_rate:,.0f} events/s, {status} the target ({target.describe()}); a bare producer "
        f"sent the same records at {producer_rate:,.0f} events/s (ratio {relay_rate / producer_rate:.2f}x). "
        f"Over whole drains the benchmark process used {client_cpu:.2f} cores "
        f"and the broker {broker_cpu:.2f}; the machine's cores were {machine_busy:.0%} busy.",
        f"- Where a drain's time goes (an extra drain calling `publish_batch` in a loop on timed wrappers, "
        f"{b.events / b.seconds:,.0f} events/s, process CPU {cpu_share:.2f} cores): reading the batch from "
        f"PostgreSQL {share(b.fetch_s)}, marking it published {share(b.mark_s)}, `producer.send` "
        f"{share(b.send_s)}, building envelopes and headers {share(b.envelope_s)} (measured apart on the "
        f"same rows), and the rest - waiting for Kafka's acks, event loop scheduling - {share(b.acks_s)}.",
    ]
    acks_us = b.acks_s / b.events * 1e6
    if machine_busy > 0.9 and len(round_rates) > 1:
        lines.append(
            f"- Noise: the machine's cores were {machine_busy:.0%} busy during the drains (other work "
            f"included), and the relay's rounds ranged from {min(round_rates):,.0f} to "
            f"{max(round_rates):,.0f} events/s; the median is held against the target."
        )
    if not target.met(relay_rate) and db_us >= max(python_us, acks_us):
        lines.append(
            f"- Bottleneck: PostgreSQL in series, {db_us:,.0f} µs per event (read the batch, UPDATE it "
            "after the acks). It would take overlapping the next batch's read with the current batch's "
            "acks and UPDATE, and a cheaper mark (delete the rows, or mark by id range)."
        )
    elif not target.met(relay_rate) and acks_us >= python_us:
        lines.append(
            f"- Bottleneck: the part not spent in PostgreSQL or in `send`, {acks_us:,.0f} µs per event - "
            "mostly waiting for Kafka to acknowledge each batch before the next one is read, one batch "
            "at a time. It would take several batches in flight (the producer is idempotent, so order per "
            "partition holds) with the UPDATE of one batch overlapping the sends of the next, and a broker "
            "that does not share its cores with the relay and PostgreSQL."
        )
    elif not target.met(relay_rate):
        per_event_budget = 1e6 / target.value
        lines.append(
            f"- Bottleneck: per-record Python work in `publish_batch`, {python_us:,.0f} µs per event "
            "(`producer.send` plus the envelope and nine CloudEvents headers), against a budget of "
            f"{per_event_budget:,.0f} µs per event at the target; PostgreSQL adds {db_us:,.0f} µs per "
            "event in series (read, then UPDATE after the acks). It would take: sending without "
            "building an `Envelope` per row (header bytes straight from the row, the time formatted by "
            "PostgreSQL), batching per partition instead of one `send` per record (aiokafka "
            "`create_batch`/`send_batch`), and overlapping the next batch's read with the current "
            f"batch's acks and UPDATE. The producer ceiling measured here ({producer_rate:,.0f} events/s "
            "with per-record `send`) bounds the first two."
        )
    return lines


async def _drain(db: Database) -> None:
    conn = await asyncpg.connect(db.dsn)
    try:
        await conn.execute("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
    finally:
        await conn.close()


# --------------------------------------------------------------------------- latency


class ArrivalClock:
    """A consumer on its own thread and loop that stamps when each event id arrives."""

    def __init__(self, kafka: KafkaConfig, logical: str) -> None:
        self.kafka = kafka
        self.topic = kafka.topic(logical)
        self.arrived: dict[str, float] = {}
        self.ready = threading.Event()
        self.stopping = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._main, name="arrival-clock", daemon=True)

    def start(self) -> None:
        self.thread.start()
        if not self.ready.wait(30):
            raise TimeoutError("the latency consumer did not get ready")
        if self.error:
            raise self.error

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(30)

    def _main(self) -> None:
        try:
            asyncio.run(self._consume())
        except BaseException as exc:
            self.error = exc
            self.ready.set()

    async def _consume(self) -> None:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka.bootstrap_servers, enable_auto_commit=False, group_id=None
        )
        await consumer.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in range(PARTITIONS)]
            consumer.assign(tps)
            await consumer.seek_to_end(*tps)
            for tp in tps:
                await consumer.position(tp)
            self.ready.set()
            while not self.stopping.is_set():
                batch = await consumer.getmany(timeout_ms=50)
                now = time.perf_counter()
                for records in batch.values():
                    for rec in records:
                        for name, value in rec.headers:
                            if name == "ce_id":
                                self.arrived[value.decode()] = now
                                break
        finally:
            await consumer.stop()

    async def wait_for(self, ids: list[str], timeout: float) -> None:
        deadline = time.perf_counter() + timeout
        pending = [i for i in ids if i not in self.arrived]
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
            pending = [i for i in pending if i not in self.arrived]


async def _fixed_rate(
    count: int, rate: float, one: Callable[[int], Coroutine[Any, Any, None]], on_tick: Callable[[], None]
) -> None:
    """Start ``one(i)`` at t0 + i / rate without waiting for earlier ones (open loop)."""
    tasks: list[asyncio.Task[None]] = []
    t0 = time.perf_counter()
    for i in range(count):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i)))
        on_tick()
    await asyncio.gather(*tasks)


@dataclass
class LatencyRun:
    sent: int
    seconds: float
    from_start: list[float]
    from_commit: list[float]
    lost: int


async def _latency_outbox(
    ctx: BenchContext, db: Database, kafka: KafkaConfig, count: int, rate: float
) -> LatencyRun:
    engine = create_async_engine(db.url, pool_size=16, max_overflow=0)
    store = EventStore(SOURCE)
    streams = max(1, min(count, int(rate * 2)))  # a stream gets its next append ~2 s later
    starts: dict[str, float] = {}
    commits: dict[str, float] = {}
    relay = OutboxRelay(db.dsn, f"bench-{uuid.uuid4().hex[:8]}", kafka)
    clock = ArrivalClock(kafka, ORDERS)
    relay_task = asyncio.create_task(relay.run())
    counter = ctx.counter(f"relay-latency: {count:,} appends at {rate:,.0f}/s through the outbox", count)
    try:
        for _ in range(3000):  # the relay takes its lock and starts its producer
            if relay.stats.active:
                break
            await asyncio.sleep(0.01)
        clock.start()
        # Warm-up, not measured: open all 16 connections and send a few events end to end.
        warm: list[str] = []

        async def warm_one(i: int) -> None:
            sid = f"order-warm-{i:03d}"
            async with engine.begin() as conn:
                recorded = await store.append(
                    conn,
                    sid,
                    "order",
                    0,
                    [StockReserved(order_id=sid, line_no=1, sku="SKU-00001", quantity=1)],
                )
            warm.append(recorded[0].envelope.id)

        await asyncio.gather(*(warm_one(i) for i in range(16)))
        await clock.wait_for(warm, timeout=30)

        async def one(i: int) -> None:
            sid = f"order-lat-{i % streams:06d}"
            event = StockReserved(order_id=sid, line_no=1, sku="SKU-00001", quantity=1)
            started = time.perf_counter()
            async with engine.begin() as conn:
                recorded = await store.append(conn, sid, "order", i // streams, [event])
            commits[recorded[0].envelope.id] = time.perf_counter()
            starts[recorded[0].envelope.id] = started

        watch = Stopwatch()
        await _fixed_rate(count, rate, one, counter.advance)
        seconds = watch.elapsed()
        await clock.wait_for(list(starts), timeout=30)
    finally:
        clock.stop()
        relay.stop()
        await relay_task
        await engine.dispose()
        counter.done()
    arrived = clock.arrived
    ids = [i for i in starts if i in arrived]
    return LatencyRun(
        sent=count,
        seconds=seconds,
        from_start=[arrived[i] - starts[i] for i in ids],
        from_commit=[arrived[i] - commits[i] for i in ids],
        lost=count - len(ids),
    )


async def _latency_kafka(ctx: BenchContext, kafka: KafkaConfig, count: int, rate: float) -> LatencyRun:
    producer: AIOKafkaProducer = reliable_producer(kafka)
    await producer.start()
    clock = ArrivalClock(kafka, ORDERS)
    clock.start()
    await producer.send_and_wait(kafka.topic(ORDERS), value=b"{}", key=b"warm-up")
    starts: dict[str, float] = {}
    futures: list[asyncio.Future[Any]] = []
    counter = ctx.counter(f"relay-latency: {count:,} sends at {rate:,.0f}/s straight to Kafka", count)
    value = b'{"order_id":"order-lat","line_no":1,"sku":"SKU-00001","quantity":1}'
    try:

        async def one(i: int) -> None:
            eid = str(uuid.uuid4())
            starts[eid] = time.perf_counter()
            futures.append(
                await producer.send(
                    kafka.topic(ORDERS),
                    value=value,
                    key=f"order-lat-{i % 1000:06d}".encode(),
                    headers=[("ce_id", eid.encode())],
                )
            )

        watch = Stopwatch()
        await _fixed_rate(count, rate, one, counter.advance)
        seconds = watch.elapsed()
        await asyncio.gather(*futures)
        await clock.wait_for(list(starts), timeout=30)
    finally:
        clock.stop()
        with contextlib.suppress(Exception):
            await producer.stop()
        counter.done()
    arrived = clock.arrived
    ids = [i for i in starts if i in arrived]
    lat = [arrived[i] - starts[i] for i in ids]
    return LatencyRun(count, seconds, lat, lat, count - len(ids))


async def relay_latency(ctx: BenchContext) -> BenchResult:
    rate = ctx.rate or 500.0
    count = int(rate * ctx.seconds) if ctx.seconds else ctx.size
    started = Stopwatch()
    async with fresh_database(ctx.env) as db, bench_topics(ctx.env, PARTITIONS) as kafka:
        outbox = await _latency_outbox(ctx, db, kafka, count, rate)
        direct = await _latency_kafka(ctx, kafka, count, rate)
    if outbox.lost or direct.lost:
        raise AssertionError(f"lost events: outbox {outbox.lost}, kafka {direct.lost}")

    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1e3

    metrics = [
        Metric("outbox_p50_ms", "ours: append start to consumed, p50", ms(outbox.from_start, 50), "ms"),
        Metric("outbox_p99_ms", "ours: append start to consumed, p99", ms(outbox.from_start, 99), "ms"),
        Metric("outbox_max_ms", "ours: append start to consumed, max", ms(outbox.from_start, 100), "ms"),
        Metric("outbox_commit_p50_ms", "ours: commit to consumed, p50", ms(outbox.from_commit, 50), "ms"),
        Metric("outbox_commit_p99_ms", "ours: commit to consumed, p99", ms(outbox.from_commit, 99), "ms"),
        Metric("kafka_p50_ms", "bare producer: send to consumed, p50", ms(direct.from_start, 50), "ms"),
        Metric("kafka_p99_ms", "bare producer: send to consumed, p99", ms(direct.from_start, 99), "ms"),
        Metric("achieved_rate", "ours: achieved append rate", outbox.sent / outbox.seconds, "events/s"),
    ]
    return BenchResult(
        name="relay-latency",
        title="Append-to-Kafka latency at a fixed rate",
        params={"rate": rate, "events": count, "seconds": count / rate, "partitions": PARTITIONS},
        metrics=metrics,
        notes=[
            f"Workload: {count:,} single-event appends at {rate:,.0f}/s for {count / rate:.1f} s (open loop, "
            f"16 connections), relay running with its defaults (batch 2,000, idle poll 20 ms), one consumer "
            f"on its own thread; then the same rate produced straight to Kafka (same producer settings: "
            f"acks=all, idempotence, linger 5 ms). No events lost. No DESIGN.md target for this number; the "
            f"order-to-ledger p99 target (<= 500 ms) includes this hop.",
        ],
        measured_at=now_iso(),
        duration_s=started.elapsed(),
    )
