"""Ledger-service fixtures: the whole service on a fresh database and the test's topics, and a
feed that produces billing/payables events to those topics as CloudEvents."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import text

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    Allocation,
    BillingAccountOpened,
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    RefundIssued,
    VatRateAmount,
)
from backoffice_events.catalog.payables import (
    BillLine,
    SupplierBillApproved,
    SupplierPaymentMade,
    SupplierRegistered,
)
from backoffice_events.envelope import Envelope
from backoffice_events.kafka import KafkaConfig
from backoffice_events.money import Money
from backoffice_events.testing import CloudEventProducer
from backoffice_platform.testing import RunningService, running_service
from ledger_service.adapters.books import read_books
from ledger_service.service import DEFINITION

EVENT_TIME = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC)
_SUBJECT_FIELDS = ("invoice_id", "payment_id", "bill_id", "refund_id", "customer_id", "supplier_id")


def envelope_of(
    event: EventModel,
    *,
    event_id: str | None = None,
    time: dt.datetime = EVENT_TIME,
    data: dict[str, Any] | None = None,
) -> Envelope:
    """The CloudEvent billing would publish for ``event`` (``data`` overrides the payload, to
    send what no valid model would hold)."""
    subject = next(str(getattr(event, f)) for f in _SUBJECT_FIELDS if hasattr(event, f))
    return Envelope(
        id=event_id or str(uuid.uuid4()),
        source="billing",
        type=event.cloud_type(),
        subject=subject,
        time=time,
        data=data if data is not None else event.model_dump(mode="json"),
        stream_version=1,
        correlation_id="ledger-test",
    )


class Feed:
    """Produces envelopes to the physical topic of their event, in order."""

    def __init__(self, kafka: KafkaConfig) -> None:
        self.producer = CloudEventProducer(kafka)
        self.sent: list[Envelope] = []

    async def send(self, *items: EventModel | Envelope) -> list[Envelope]:
        envelopes = [item if isinstance(item, Envelope) else envelope_of(item) for item in items]
        for env in envelopes:
            await self.producer.send(_topic_of(env), env)
        self.sent.extend(envelopes)
        return envelopes


def _topic_of(env: Envelope) -> str:
    return "backoffice.payables" if env.type.startswith("backoffice.payables.") else "backoffice.billing"


@pytest_asyncio.fixture
async def ledger_svc(databases, kafka_config) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, databases, kafka_config) as svc:
        yield svc


@pytest_asyncio.fixture
async def feed(kafka_config) -> AsyncIterator[Feed]:
    the_feed = Feed(kafka_config)
    async with the_feed.producer:
        yield the_feed


# the books scenario ---------------------------------------------------------------------------

D = dt.date


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def invoice(
    invoice_id: str,
    customer_id: str,
    net: str,
    vat: str,
    issued: dt.date,
    due: dt.date,
    gross: str | None = None,
) -> InvoiceIssued:
    gross = gross or str(Decimal(net) + Decimal(vat))
    return InvoiceIssued(
        invoice_id=invoice_id,
        customer_id=customer_id,
        number=f"INV-{invoice_id}",
        order_id=f"ord-{invoice_id}",
        shipment_id=f"shp-{invoice_id}",
        issue_date=issued,
        due_date=due,
        currency="EUR",
        lines=[
            InvoiceLine(
                line_no=1,
                sku="SKU-1",
                quantity=1,
                unit_price=eur(net),
                vat_rate=Decimal("0.21"),
                net=eur(net),
                vat=eur(vat),
                gross=eur(gross),
            )
        ],
        net=eur(net),
        vat=eur(vat),
        gross=eur(gross),
    )


def payment(
    payment_id: str,
    customer_id: str,
    amount: str,
    on: dt.date,
    allocations: list[tuple[str, str]],
    unapplied: str,
) -> PaymentPosted:
    return PaymentPosted(
        payment_id=payment_id,
        customer_id=customer_id,
        amount=eur(amount),
        received_on=on,
        bank_transaction_id=f"bt-{payment_id}",
        allocations=[Allocation(invoice_id=i, amount=eur(a)) for i, a in allocations],
        unapplied=eur(unapplied),
    )


def rate_of(net: str, vat: str) -> Decimal:
    """The VAT rate of a one-line credit note in tests (0 when nothing is taxable)."""
    return (Decimal(vat) / Decimal(net)).quantize(Decimal("0.0001")) if Decimal(net) else Decimal(0)


def one_credited_line(net: Money, vat: Money) -> CreditNoteLine:
    """A credit note's single credited line, at the rate of its amounts."""
    return CreditNoteLine(
        line_no=1,
        sku="SKU-1",
        vat_rate=rate_of(str(net.amount), str(vat.amount)),
        net=net,
        vat=vat,
        gross=net + vat,
    )


def credit_note(
    invoice_id: str, customer_id: str, net: str, vat: str, applied: str, unapplied: str, on: dt.date
) -> CreditNoteIssued:
    gross = str(Decimal(net) + Decimal(vat))
    return CreditNoteIssued(
        invoice_id=invoice_id,
        customer_id=customer_id,
        credit_note_id=f"cn-{invoice_id}",
        number=f"CN-{invoice_id}",
        lines=[one_credited_line(eur(net), eur(vat))],
        vat_breakdown=[VatRateAmount(vat_rate=rate_of(net, vat), taxable=eur(net), vat=eur(vat))],
        net=eur(net),
        vat=eur(vat),
        gross=eur(gross),
        applied=eur(applied),
        unapplied=eur(unapplied),
        reason="damaged",
        issue_date=on,
    )


def bill_line(line_no: int, account: str, net: str, vat: str) -> BillLine:
    return BillLine(
        line_no=line_no,
        description=f"line {line_no}",
        expense_account=account,
        net=eur(net),
        vat_rate=Decimal("0.21"),
        vat=eur(vat),
        gross=eur(str(Decimal(net) + Decimal(vat))),
    )


def bill(
    bill_id: str, supplier_id: str, lines: list[BillLine], approved: dt.date, due: dt.date
) -> SupplierBillApproved:
    net = sum((line.net.amount for line in lines), Decimal(0))
    vat = sum((line.vat.amount for line in lines), Decimal(0))
    return SupplierBillApproved(
        bill_id=bill_id,
        supplier_id=supplier_id,
        approved_by="approver-1",
        approved_on=approved,
        due_date=due,
        lines=lines,
        net=eur(str(net)),
        vat=eur(str(vat)),
        gross=eur(str(net + vat)),
    )


def scenario_events() -> list[EventModel]:
    """Invoices, a partial and an over-payment, unapplied cash applied, credit notes (one
    against a paid invoice, refunded), a write-off, supplier bills and payments, and events
    the ledger reads without posting. Expected figures: see ``SCENARIO_*`` below."""
    return [
        BillingAccountOpened(customer_id="C1", currency="EUR", payment_terms_days=30),
        invoice("INV-1", "C1", "1000.00", "210.00", D(2025, 10, 1), D(2025, 10, 31)),
        invoice("INV-5", "C3", "300.00", "63.00", D(2025, 8, 1), D(2025, 8, 31)),
        payment("P1", "C1", "500.00", D(2025, 11, 10), [("INV-1", "500.00")], "0.00"),
        invoice("INV-3", "C2", "200.00", "42.00", D(2025, 11, 15), D(2025, 12, 15)),
        invoice("INV-2", "C1", "500.00", "105.00", D(2025, 12, 1), D(2025, 12, 31)),
        payment("P2", "C2", "300.00", D(2025, 12, 20), [("INV-3", "242.00")], "58.00"),
        InvoicePaid(invoice_id="INV-3", customer_id="C2", paid_on=D(2025, 12, 20)),
        InvoiceWrittenOff(
            invoice_id="INV-5",
            customer_id="C3",
            amount=eur("363.00"),
            reason="insolvent",
            written_off_on=D(2025, 12, 31),
        ),
        invoice("INV-6", "C3", "50.00", "10.50", D(2026, 1, 2), D(2026, 1, 10)),
        invoice("INV-4", "C2", "100.00", "21.00", D(2026, 1, 5), D(2026, 2, 4)),
        PaymentAllocated(
            payment_id="P2",
            customer_id="C2",
            invoice_id="INV-4",
            amount=eur("58.00"),
            allocated_on=D(2026, 1, 6),
        ),
        credit_note("INV-2", "C1", "100.00", "21.00", "121.00", "0.00", D(2026, 1, 8)),
        credit_note("INV-3", "C2", "20.00", "4.20", "0.00", "24.20", D(2026, 1, 9)),
        RefundIssued(refund_id="R1", customer_id="C2", amount=eur("24.20"), refunded_on=D(2026, 1, 12)),
        payment("P3", "C3", "100.00", D(2026, 1, 12), [("INV-6", "60.50")], "39.50"),
        SupplierRegistered(supplier_id="S1", name="Paper Ltd", currency="EUR", payment_terms_days=30),
        bill(
            "B1",
            "S1",
            [bill_line(1, "6100", "400.00", "84.00"), bill_line(2, "6200", "100.00", "21.00")],
            D(2025, 11, 1),
            D(2025, 12, 1),
        ),
        SupplierPaymentMade(
            bill_id="B1", supplier_id="S1", payment_id="SP1", amount=eur("300.00"), paid_on=D(2025, 12, 5)
        ),
        bill("B2", "S2", [bill_line(1, "6300", "1000.00", "210.00")], D(2025, 12, 20), D(2026, 1, 19)),
        SupplierPaymentMade(
            bill_id="B2", supplier_id="S2", payment_id="SP2", amount=eur("210.00"), paid_on=D(2026, 1, 14)
        ),
    ]


TODAY = D(2026, 1, 15)
EARLIER = D(2025, 12, 10)
# What each customer owes (AR) and the cash of theirs we hold (unapplied), at each date.
SCENARIO_AR = {
    TODAY: {"C1": "1194.00", "C2": "63.00", "C3": "0.00"},
    EARLIER: {"C1": "1315.00", "C2": "242.00", "C3": "363.00"},
}
SCENARIO_UNAPPLIED = {TODAY: {"C1": "0.00", "C2": "0.00", "C3": "39.50"}}
SCENARIO_AP = {TODAY: {"S1": "305.00", "S2": "1000.00"}, EARLIER: {"S1": "305.00"}}
_ZERO = "0.00"


def buckets(
    current: str = _ZERO, d30: str = _ZERO, d60: str = _ZERO, d90: str = _ZERO, over: str = _ZERO
) -> dict[str, str]:
    total = sum(Decimal(x) for x in (current, d30, d60, d90, over))
    return {
        "current": current,
        "days_1_30": d30,
        "days_31_60": d60,
        "days_61_90": d90,
        "over_90": over,
        "total": f"{total:.2f}",
    }


SCENARIO_RECEIVABLES_AGING = {
    TODAY: {
        "parties": {"C1": buckets(d30="484.00", d90="710.00"), "C2": buckets(current="63.00")},
        "total": buckets(current="63.00", d30="484.00", d90="710.00"),
    },
    EARLIER: {
        "parties": {
            "C1": buckets(current="605.00", d60="710.00"),
            "C2": buckets(current="242.00"),
            "C3": buckets(over="363.00"),
        },
        "total": buckets(current="847.00", d60="710.00", over="363.00"),
    },
}
SCENARIO_PAYABLES_AGING = {
    TODAY: {
        "parties": {"S1": buckets(d60="305.00"), "S2": buckets(current="1000.00")},
        "total": buckets(current="1000.00", d60="305.00"),
    },
    EARLIER: {"parties": {"S1": buckets(d30="305.00")}, "total": buckets(d30="305.00")},
}


@dataclass(frozen=True)
class Scenario:
    """The scenario's events and the figures they must produce."""

    events: list[EventModel]
    today: dt.date = TODAY
    earlier: dt.date = EARLIER
    ar: dict[dt.date, dict[str, str]] = field(default_factory=lambda: SCENARIO_AR)
    unapplied: dict[dt.date, dict[str, str]] = field(default_factory=lambda: SCENARIO_UNAPPLIED)
    ap: dict[dt.date, dict[str, str]] = field(default_factory=lambda: SCENARIO_AP)
    receivables_aging: dict[dt.date, Any] = field(default_factory=lambda: SCENARIO_RECEIVABLES_AGING)
    payables_aging: dict[dt.date, Any] = field(default_factory=lambda: SCENARIO_PAYABLES_AGING)


@pytest.fixture
def scenario() -> Scenario:
    return Scenario(scenario_events())


class Build:
    """Event builders for tests (valid unless told otherwise)."""

    invoice = staticmethod(invoice)
    payment = staticmethod(payment)
    credit_note = staticmethod(credit_note)
    bill = staticmethod(bill)
    bill_line = staticmethod(bill_line)
    envelope = staticmethod(envelope_of)
    eur = staticmethod(eur)


@pytest.fixture
def build() -> Build:
    return Build()


class Probe:
    """Looks straight into the ledger's database."""

    def __init__(self, svc: RunningService) -> None:
        self.engine = svc.ctx.engine

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with read_books(self.engine) as conn:
            return await conn.scalar(text(sql), params)

    async def taken(self) -> int:
        """Events the active books have taken."""
        return int(await self.scalar("SELECT count(*) FROM source_events"))

    async def entries_of(self, event_id: str) -> int:
        return int(await self.scalar("SELECT count(*) FROM journal_entries WHERE event_id = :e", e=event_id))

    async def has_taken(self, event_id: str) -> bool:
        return bool(await self.scalar("SELECT count(*) FROM source_events WHERE event_id = :e", e=event_id))

    async def active_generation(self) -> int:
        async with self.engine.connect() as conn:
            return int(await conn.scalar(text("SELECT active FROM ledger_generation")))

    async def schemas(self) -> list[int]:
        async with self.engine.connect() as conn:
            return [int(g) for g in (await conn.execute(text("SELECT ledger_book_generations()"))).scalars()]


@pytest_asyncio.fixture
async def probe(ledger_svc) -> Probe:
    return Probe(ledger_svc)
