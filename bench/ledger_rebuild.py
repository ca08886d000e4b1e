"""Ledger projection rebuild from Kafka vs a bare aiokafka read of the same topics.

``ledger-rebuild``: N billing and payables events (a realistic mix over many customers and
suppliers: invoices issued, payments posted with allocations, credit notes, supplier bills
approved and paid) are built with the catalog models and published untimed as CloudEvents
(``Envelope`` + ``reliable_producer``) to topics under a unique prefix. Then, interleaved
in rounds:

* ``aiokafka``: a bare ``AIOKafkaConsumer`` (fresh group, same fetch settings as the
  platform's consumers) reads both topics from the beginning until it has seen every record;
* ``ledger``: the ledger's live consumer (``ledger_service.adapters.projection.live_consumer``,
  the ``EventConsumer`` the ledger worker runs: decode, dedupe, post, write the books in one
  transaction per polled batch, commit offsets) consumes from the beginning into a fresh
  ledger database (all ledger migrations applied) until it has handled all N events.

With ``--profile`` one extra projection run is sampled with pyinstrument.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from decimal import Decimal

import asyncpg
from aiokafka import AIOKafkaConsumer

from backoffice_events.catalog import BILLING, PAYABLES
from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    Allocation,
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    PaymentPosted,
    VatRateAmount,
)
from backoffice_events.catalog.payables import BillLine, SupplierBillApproved, SupplierPaymentMade
from backoffice_events.envelope import Envelope
from backoffice_events.kafka import KafkaConfig, end_offsets, reliable_producer
from backoffice_events.migrate import apply_migrations
from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext, build_context
from backoffice_platform.auth import KeyRing
from backoffice_platform.settings import ServiceSettings

from .core import (
    BenchContext,
    BenchEnv,
    BenchResult,
    CpuMeter,
    Metric,
    Stopwatch,
    backend_pids,
    bench_topics,
    fresh_database,
    kafka_pids,
    median,
    now_iso,
    rotate,
)
from .profiling import Profile, profile_summary
from .targets import TARGETS_BY_ID

PARTITIONS = 6
CUSTOMERS = 5_000
SUPPLIERS = 500
SEND_CHUNK = 10_000
START = dt.date(2025, 1, 1)
_ZERO = Decimal(0)


# --------------------------------------------------------------------------- the workload


@dataclass
class Mix:
    """How many events of each type were published."""

    counts: dict[str, int] = field(default_factory=dict)
    records: int = 0  # records on the topics, the warm-up records of bench_topics included

    def add(self, event: EventModel) -> None:
        name = type(event).__name__
        self.counts[name] = self.counts.get(name, 0) + 1

    def describe(self) -> str:
        total = sum(self.counts.values()) or 1
        return ", ".join(
            f"{name} {n / total:.0%}" for name, n in sorted(self.counts.items(), key=lambda kv: -kv[1])
        )


class Workload:
    """A deterministic stream of valid billing and payables events.

    Per 10 events: 4 invoices (1 to 3 lines) to random customers, 3 payments allocating the
    open amount of one or two earlier invoices of that customer (some with unapplied cash),
    1 credit note on an earlier invoice, 1 supplier bill approved (1 to 3 expense lines)
    and 1 payment of an approved bill.
    """

    PATTERN = ("inv", "pay", "inv", "bill", "inv", "pay", "cn", "inv", "pay", "spay")

    def __init__(self, tag: str, seed: int = 7) -> None:
        self.tag = tag
        self.rng = random.Random(seed)
        self.n = 0
        self.open_invoices: dict[str, list[tuple[str, Decimal]]] = {}  # customer -> [(invoice, open)]
        self.credited: list[tuple[str, str, Decimal]] = []  # (invoice, customer, gross) for credit notes
        self.open_bills: list[tuple[str, str, Decimal]] = []  # (bill, supplier, gross)
        self.eur: dict[Decimal, Money] = {}

    def money(self, amount: Decimal) -> Money:
        m = self.eur.get(amount)
        if m is None:
            m = self.eur[amount] = Money(amount, "EUR")
        return m

    def day(self) -> dt.date:
        return START + dt.timedelta(days=self.n // 2000)

    def next(self) -> EventModel:
        kind = self.PATTERN[self.n % len(self.PATTERN)]
        self.n += 1
        if kind == "pay":
            return self._payment() or self._invoice()
        if kind == "cn":
            return self._credit_note() or self._invoice()
        if kind == "bill":
            return self._bill()
        if kind == "spay":
            return self._supplier_payment() or self._bill()
        return self._invoice()

    def _invoice(self) -> InvoiceIssued:
        rng, n = self.rng, self.n
        customer = f"cust-{self.tag}-{rng.randrange(CUSTOMERS):05d}"
        invoice = f"inv-{self.tag}-{n:08d}"
        lines = []
        for line_no in range(1, rng.randint(1, 3) + 1):
            qty = rng.randint(1, 5)
            unit = Decimal(rng.randint(500, 20000)).scaleb(-2)
            net = unit * qty
            vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
            lines.append(
                InvoiceLine(
                    line_no=line_no,
                    sku=f"SKU-{rng.randrange(1000):05d}",
                    quantity=qty,
                    unit_price=self.money(unit),
                    vat_rate=Decimal("0.21"),
                    net=self.money(net),
                    vat=self.money(vat),
                    gross=self.money(net + vat),
                )
            )
        net = sum((line.net.amount for line in lines), _ZERO)
        vat = sum((line.vat.amount for line in lines), _ZERO)
        day = self.day()
        self.open_invoices.setdefault(customer, []).append((invoice, net + vat))
        if rng.random() < 0.3:
            self.credited.append((invoice, customer, net + vat))
        return InvoiceIssued(
            invoice_id=invoice,
            customer_id=customer,
            number=f"INV-{self.tag}-{n:08d}",
            order_id=f"ord-{self.tag}-{n:08d}",
            shipment_id=f"shp-{self.tag}-{n:08d}",
            issue_date=day,
            due_date=day + dt.timedelta(days=30),
            currency="EUR",
            lines=lines,
            net=self.money(net),
            vat=self.money(vat),
            gross=self.money(net + vat),
        )

    def _payment(self) -> PaymentPosted | None:
        if not self.open_invoices:
            return None
        customer = self.rng.choice(list(self.open_invoices)) if self.n % 97 == 0 else None
        if customer is None:
            # the customer of a recent invoice (cheap, and payments follow invoices)
            customer = next(reversed(self.open_invoices))
        invoices = self.open_invoices.pop(customer)
        paid, rest = invoices[:2], invoices[2:]
        if rest:
            self.open_invoices[customer] = rest
        allocations = [Allocation(invoice_id=i, amount=self.money(a)) for i, a in paid]
        unapplied = Decimal("10.00") if self.rng.random() < 0.2 else _ZERO
        total = sum((a for _, a in paid), _ZERO) + unapplied
        return PaymentPosted(
            payment_id=f"pay-{self.tag}-{self.n:08d}",
            customer_id=customer,
            amount=self.money(total),
            received_on=self.day(),
            bank_transaction_id=f"bt-{self.tag}-{self.n:08d}",
            allocations=allocations,
            unapplied=self.money(unapplied),
        )

    def _credit_note(self) -> CreditNoteIssued | None:
        if not self.credited:
            return None
        invoice, customer, gross = self.credited.pop()
        applied = (gross / 10).quantize(Decimal("0.01"))
        net = (applied / Decimal("1.21")).quantize(Decimal("0.01"))
        return CreditNoteIssued(
            invoice_id=invoice,
            customer_id=customer,
            credit_note_id=f"cn-{self.tag}-{self.n:08d}",
            number=f"CN-{self.tag}-{self.n:08d}",
            lines=[
                CreditNoteLine(
                    line_no=1,
                    sku="SKU-1",
                    vat_rate=Decimal("0.21"),
                    net=self.money(net),
                    vat=self.money(applied - net),
                    gross=self.money(applied),
                )
            ],
            vat_breakdown=[
                VatRateAmount(
                    vat_rate=Decimal("0.21"), taxable=self.money(net), vat=self.money(applied - net)
                )
            ],
            net=self.money(net),
            vat=self.money(applied - net),
            gross=self.money(applied),
            applied=self.money(applied),
            unapplied=self.money(_ZERO),
            reason="damaged in transit",
            issue_date=self.day(),
        )

    def _bill(self) -> SupplierBillApproved:
        rng, n = self.rng, self.n
        supplier = f"sup-{self.tag}-{rng.randrange(SUPPLIERS):04d}"
        bill = f"bill-{self.tag}-{n:08d}"
        lines = []
        for line_no in range(1, rng.randint(1, 3) + 1):
            net = Decimal(rng.randint(1000, 90000)).scaleb(-2)
            vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
            lines.append(
                BillLine(
                    line_no=line_no,
                    description="services",
                    expense_account=rng.choice(("6100", "6200", "6300")),
                    net=self.money(net),
                    vat_rate=Decimal("0.21"),
                    vat=self.money(vat),
                    gross=self.money(net + vat),
                )
            )
        net = sum((line.net.amount for line in lines), _ZERO)
        vat = sum((line.vat.amount for line in lines), _ZERO)
        day = self.day()
        self.open_bills.append((bill, supplier, net + vat))
        return SupplierBillApproved(
            bill_id=bill,
            supplier_id=supplier,
            approved_by="approver-1",
            approved_on=day,
            due_date=day + dt.timedelta(days=30),
            lines=lines,
            net=self.money(net),
            vat=self.money(vat),
            gross=self.money(net + vat),
        )

    def _supplier_payment(self) -> SupplierPaymentMade | None:
        if not self.open_bills:
            return None
        bill, supplier, gross = self.open_bills.pop(0)
        return SupplierPaymentMade(
            bill_id=bill,
            supplier_id=supplier,
            payment_id=f"spay-{self.tag}-{self.n:08d}",
            amount=self.money(gross),
            paid_on=self.day(),
        )


async def fill_topics(ctx: BenchContext, kafka: KafkaConfig, events: int) -> Mix:
    """Publish ``events`` events (untimed) as CloudEvents, in chunks of ``SEND_CHUNK``."""
    workload = Workload(uuid.uuid4().hex[:6])
    mix = Mix()
    producer = reliable_producer(kafka, linger_ms=20)
    await producer.start()
    counter = ctx.counter(f"ledger-rebuild: publishing {events:,} billing/payables events", events)
    occurred = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    correlation = Envelope.new_id()
    try:
        for start in range(0, events, SEND_CHUNK):
            futures = []
            for _ in range(min(SEND_CHUNK, events - start)):
                event = workload.next()
                mix.add(event)
                subject = _subject(event)
                env = Envelope(
                    id=Envelope.new_id(),
                    source="billing" if event.topic == BILLING else "payables",
                    type=event.type,
                    subject=subject,
                    time=occurred,
                    data=event.model_dump(mode="json"),
                    stream_version=1,
                    correlation_id=correlation,
                )
                futures.append(
                    await producer.send(
                        kafka.topic(event.topic),
                        value=env.kafka_value(),
                        key=env.kafka_key(),
                        headers=env.kafka_headers(),
                    )
                )
            await asyncio.gather(*futures)
            counter.advance(len(futures))
    finally:
        await producer.stop()
        counter.done()
    mix.records = await _end_total(kafka)
    return mix


def _subject(event: EventModel) -> str:
    """The aggregate id the billing and payables services key these events by."""
    if isinstance(event, PaymentPosted):
        return event.payment_id
    if isinstance(event, InvoiceIssued | CreditNoteIssued):
        return event.invoice_id
    if isinstance(event, SupplierBillApproved | SupplierPaymentMade):
        return event.bill_id
    raise ValueError(f"no subject for {event.type}")


def _topics(kafka: KafkaConfig) -> list[str]:
    return [kafka.topic(BILLING), kafka.topic(PAYABLES)]


async def _end_total(kafka: KafkaConfig) -> int:
    return sum((await end_offsets(kafka, _topics(kafka))).values())


# --------------------------------------------------------------------------- the two readers


@dataclass
class Phase:
    events: int
    seconds: float
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def _time_aiokafka(ctx: BenchContext, kafka: KafkaConfig, mix: Mix, label: str) -> Phase:
    """A bare consumer in a fresh group reads both topics from the beginning (same fetch
    settings as ``EventConsumer``), touching each record's value."""
    consumer = AIOKafkaConsumer(
        *_topics(kafka),
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"{kafka.topic_prefix}bare-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=500,
        fetch_max_bytes=16 * 1024 * 1024,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    counter = ctx.counter(label, mix.records)
    meter = CpuMeter(broker_pids=kafka_pids())
    seen = 0
    size = 0
    meter.start()
    watch = Stopwatch()
    await consumer.start()
    try:
        while seen < mix.records:
            batch = await consumer.getmany(timeout_ms=200, max_records=500)
            for records in batch.values():
                for record in records:
                    size += len(record.value or b"")
                seen += sum(len(r) for r in batch.values())
                counter.advance(sum(len(r) for r in batch.values()))
            if watch.elapsed() > 600:
                raise TimeoutError(f"bare consumer read {seen} of {mix.records} records")
        seconds = watch.elapsed()
        cpu = meter.stop()
    finally:
        await consumer.stop()
        counter.done()
    return Phase(seen, seconds, cpu)


def _ledger_context(env: BenchEnv, db_url: str, kafka: KafkaConfig) -> ServiceContext:
    settings = ServiceSettings(
        service_name="ledger",
        database_url=db_url,
        kafka_bootstrap_servers=env.kafka_bootstrap,
        topic_prefix=kafka.topic_prefix,
        log_json=False,
    )
    return build_context(settings, keys=KeyRing([]))


@asynccontextmanager
async def _ledger_database(env: BenchEnv, kafka: KafkaConfig) -> AsyncIterator[tuple[ServiceContext, str]]:
    """A fresh database with every ledger migration, and a ledger ServiceContext on it."""
    from ledger_service.service import DEFINITION

    async with fresh_database(env, migrate=False) as db:
        ctx = _ledger_context(env, db.url, kafka)
        try:
            await apply_migrations(ctx.engine, DEFINITION.all_migrations())
            yield ctx, db.dsn
        finally:
            await ctx.engine.dispose()


async def _time_ledger(
    ctx: BenchContext, kafka: KafkaConfig, events: int, label: str, profile: Profile | None = None
) -> tuple[Phase, dict[str, int]]:
    from ledger_service.adapters.projection import live_consumer

    async with _ledger_database(ctx.env, kafka) as (service, dsn):
        consumer = live_consumer(service)
        # A fresh consumer group each run (the live consumer's own group would resume at the
        # offsets an earlier round committed).
        consumer.group_id = f"{kafka.topic_prefix}ledger-{uuid.uuid4().hex[:8]}"
        counter = ctx.counter(label, events)
        consumer.stats.on_handled.append(lambda handled: counter.advance(len(handled)))
        meter = CpuMeter(broker_pids=kafka_pids())
        meter.start()
        if profile is not None:
            profile.start()
        watch = Stopwatch()
        task = asyncio.create_task(consumer.run())
        pids_known = False
        try:
            while consumer.stats.handled < events:
                if task.done():
                    task.result()
                    raise RuntimeError("the ledger consumer stopped")
                if not pids_known and consumer.stats.batches:
                    meter.pg_pids = await backend_pids(dsn)
                    meter._start["postgres"] = {pid: v for pid, v in meter._sample()["postgres"].items()}
                    pids_known = True
                if watch.elapsed() > 3600:
                    raise TimeoutError(f"ledger handled {consumer.stats.handled} of {events}")
                await asyncio.sleep(0.02)
            seconds = watch.elapsed()
            if profile is not None:
                profile.stop()
            cpu = meter.stop()
        finally:
            consumer.stop()
            await task
            counter.done()
        stats = {
            "handled": consumer.stats.handled,
            "batches": consumer.stats.batches,
            "dead_lettered": consumer.stats.dead_lettered,
        }
        conn = await asyncpg.connect(dsn)
        try:
            stats["journal_entries"] = int(
                await conn.fetchval("SELECT count(*) FROM books_1.journal_entries")
            )
            stats["source_events"] = int(await conn.fetchval("SELECT count(*) FROM books_1.source_events"))
        finally:
            await conn.close()
    if stats["source_events"] != events:
        raise AssertionError(f"ledger took {stats['source_events']} events, expected {events}")
    return Phase(events, seconds, cpu), stats


# --------------------------------------------------------------------------- the benchmark


async def ledger_rebuild(ctx: BenchContext) -> BenchResult:
    events = ctx.size
    started = Stopwatch()
    rounds: list[dict[str, Phase]] = []
    stats: dict[str, int] = {}
    profile_lines: list[str] = []
    async with bench_topics(ctx.env, PARTITIONS) as kafka:
        fill_watch = Stopwatch()
        mix = await fill_topics(ctx, kafka, events)
        fill_seconds = fill_watch.elapsed()
        for r in range(ctx.rounds):
            phases: dict[str, Phase] = {}
            for key in rotate(("ledger", "aiokafka"), r):
                label = f"ledger-rebuild round {r + 1}/{ctx.rounds}: {key}"
                if key == "ledger":
                    phases[key], stats = await _time_ledger(ctx, kafka, events, label)
                else:
                    phases[key] = await _time_aiokafka(ctx, kafka, mix, label)
            rounds.append(phases)
        if ctx.profile:
            profile = Profile()
            phase, _ = await _time_ledger(ctx, kafka, events, "ledger-rebuild: profiled run", profile)
            profile_lines = profile_summary(
                profile,
                wall_seconds=phase.seconds,
                events=events,
                cpu=phase.cpu,
                html_path=ctx.artifacts / "ledger-rebuild-profile.html",
            )
    ledger_rate = median(p["ledger"].rate for p in rounds)
    bare_rate = median(p["aiokafka"].rate for p in rounds)
    ratio = median(p["ledger"].rate / p["aiokafka"].rate for p in rounds)
    client_cpu = median(p["ledger"].cpu.get("client", 0.0) / p["ledger"].seconds for p in rounds)
    pg_cpu = median(p["ledger"].cpu.get("postgres", 0.0) / p["ledger"].seconds for p in rounds)
    kafka_cpu = median(p["ledger"].cpu.get("kafka", 0.0) / p["ledger"].seconds for p in rounds)
    busy = median(p["ledger"].cpu.get("machine_busy", 0.0) for p in rounds)
    per_round = "; ".join(
        f"round {i + 1}: ledger {p['ledger'].rate:,.0f}, aiokafka {p['aiokafka'].rate:,.0f}"
        for i, p in enumerate(rounds)
    )
    ledger_seconds = median(p["ledger"].seconds for p in rounds)
    return BenchResult(
        name="ledger-rebuild",
        title="Ledger projection rebuild from Kafka",
        params={"events": events, "rounds": ctx.rounds, "partitions": PARTITIONS, "consumer_batch": 500},
        metrics=[
            Metric("ledger_events_per_s", "ours: ledger live consumer, fresh books", ledger_rate, "events/s"),
            Metric(
                "aiokafka_events_per_s",
                "bare AIOKafkaConsumer reading the same topics",
                bare_rate,
                "events/s",
            ),
            Metric("ledger_seconds", "ours: time to project all events", ledger_seconds, "s"),
            Metric(
                "ledger_client_cpu_cores", "ours: benchmark process CPU while projecting", client_cpu, "cores"
            ),
            Metric("ledger_pg_cpu_cores", "ours: PostgreSQL backends' CPU while projecting", pg_cpu, "cores"),
            Metric("ledger_kafka_cpu_cores", "ours: Kafka broker CPU while projecting", kafka_cpu, "cores"),
            Metric(
                "fill_events_per_s",
                "publishing the events (untimed set-up)",
                events / fill_seconds,
                "events/s",
            ),
        ],
        ratios=[Metric("ledger_rebuild_vs_aiokafka", "ledger / bare aiokafka read", ratio, "x")],
        measurements={"ledger_rebuild_events_per_s": ledger_rate, "ledger_rebuild_vs_aiokafka": ratio},
        profile=profile_lines,
        findings=_findings(events, ledger_rate, bare_rate, ratio, client_cpu, pg_cpu, busy),
        notes=[
            f"Workload: {events:,} events on `backoffice.billing` and `backoffice.payables` "
            f"({PARTITIONS} partitions each), {CUSTOMERS:,} customers and {SUPPLIERS} suppliers: "
            f"{mix.describe()}. Invoices carry 1-3 lines, payments allocate 1-2 invoices. Published "
            f"untimed at {events / fill_seconds:,.0f} events/s.",
            f"Each `ledger` phase projects into a fresh database with every ledger migration, running "
            f"`live_consumer` (the ledger worker's `EventConsumer`: batches of 500, decode + dedupe + "
            f"post + one transaction per batch + offset commit) from the beginning until it has handled "
            f"all {events:,}; checked afterwards: {stats.get('source_events', 0):,} source events and "
            f"{stats.get('journal_entries', 0):,} journal entries in the books. The `aiokafka` phase is "
            "a bare consumer in a fresh group with the same fetch settings.",
            f"Events/s per round: {per_round}.",
        ],
        measured_at=now_iso(),
        duration_s=started.elapsed(),
    )


def _findings(
    events: int,
    rate: float,
    bare: float,
    ratio: float,
    client_cpu: float,
    pg_cpu: float,
    busy: float,
) -> list[str]:
    target = TARGETS_BY_ID["ledger_rebuild_events_per_s"]
    ratio_target = TARGETS_BY_ID["ledger_rebuild_vs_aiokafka"]
    per_event = client_cpu / rate * 1e6 if rate else 0.0
    pg_per_event = pg_cpu / rate * 1e6 if rate else 0.0
    lines = [
        f"- Projection: {rate:,.0f} events/s ({'meets' if target.met(rate) else 'misses'} "
        f"{target.describe()}), {ratio:.2f}x a bare aiokafka read at {bare:,.0f} events/s "
        f"({'meets' if ratio_target.met(ratio) else 'misses'} {ratio_target.describe()}). While "
        f"projecting, the consumer process used {client_cpu:.2f} cores ({per_event:,.0f} µs CPU per event) "
        f"and PostgreSQL {pg_cpu:.2f} ({pg_per_event:,.0f} µs per event); the machine's cores were "
        f"{busy:.0%} busy. 1,000,000 events take {1_000_000 / rate / 60:,.1f} min at this rate (measured "
        f"at {events:,}; `make bench` runs this size so the benchmark stays within about 10 minutes).",
    ]
    if not target.met(rate):
        budget = 1e6 / target.value
        lines.append(
            f"- Bottleneck (profile below): Python in the one consumer process, {per_event:,.0f} µs CPU per "
            f"event against a budget of {budget:,.0f} µs at the target, with PostgreSQL waited for in "
            "series once per batch. Per event it pays for: the CloudEvents envelope and JSON parse, "
            "pydantic validation of the catalog model (nested lines and allocations, every amount a "
            "`Money`), the posting rules (balanced entries as dataclasses, `Decimal` arithmetic, the "
            "entry id), the open-item reduction, and asyncpg encoding the rows of six multi-row "
            "INSERTs (source events with the JSON data, entries, lines, open items, movements, dedupe "
            "ids). Fixed in this round: `Money` decoding takes a fast path for well-formed amounts "
            "(was the largest single cost of decoding), entry ids are computed without building "
            "`UUID` objects (`uuid5` was a fifth of posting), the envelope decoder builds no set per "
            "record, and source events store the record's own JSON bytes instead of serialising "
            "`data` again."
        )
        lines.append(
            "- What it would take: (1) parallel consumers - the ledger worker scales by replicas over "
            "the 6 partitions, but they serialise on the generation's writer lock, so only decoding "
            "and posting overlap, and only on a machine with cores to spare (this one has 2, shared "
            "with PostgreSQL and Kafka); (2) a replay path that trusts its own topics: decode with a "
            "compiled decoder (msgspec) or `model_construct` after a schema check per type, instead of "
            "full pydantic validation; (3) overlap decoding and posting of batch n+1 with the "
            "database write of batch n, larger batches (2,000) for a rebuild, and `COPY` (binary) "
            f"instead of `unnest` INSERTs. The ratio target ({ratio_target.describe()} of a bare read "
            f"that does no work per record, here {bare:,.0f} events/s) would need about "
            f"{1e6 / (ratio_target.value * bare):,.0f} µs per event in total, out of reach for a "
            "Python projection that validates, posts and writes each event."
        )
    return lines
