"""Support-service fixtures: the whole service on a fresh database and the test's topics, and a
feed that produces order and billing events as CloudEvents onto those topics."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest_asyncio
from sqlalchemy import text

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
from backoffice_events.catalog.orders import (
    Address,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    ShippedLine,
)
from backoffice_events.envelope import Envelope
from backoffice_events.kafka import KafkaConfig
from backoffice_events.money import Money
from backoffice_events.testing import CloudEventProducer, eventually
from backoffice_platform.testing import RunningService, running_service
from support_service.service import DEFINITION

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
"""The test clock's start (see ``running_service``)."""


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


class Feed:
    """Produces other services' events onto the test's topics, as those services would."""

    def __init__(self, kafka: KafkaConfig) -> None:
        self.producer = CloudEventProducer(kafka)
        self.versions: dict[str, int] = {}

    async def publish(self, event: EventModel, subject: str, *, at: dt.datetime = T0) -> Envelope:
        """Produce ``event`` as a CloudEvent keyed by ``subject`` (its aggregate's stream)."""
        self.versions[subject] = self.versions.get(subject, 0) + 1
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source="test-" + event.topic.rsplit(".", 1)[-1],
            type=event.cloud_type(),
            subject=subject,
            time=at,
            data=event.model_dump(mode="json"),
            stream_version=self.versions[subject],
            correlation_id=str(uuid.uuid4()),
        )
        await self.producer.send(event.topic, envelope)
        return envelope

    # order-service events -------------------------------------------------------------
    async def order_placed(
        self,
        order_id: str,
        customer_id: str,
        *,
        lines: tuple[tuple[str, int, str], ...] = (("VASE", 2, "10.00"), ("MUG", 3, "4.00")),
        placed_at: dt.datetime = T0 - dt.timedelta(days=10),
    ) -> OrderPlaced:
        event = OrderPlaced(
            order_id=order_id,
            customer_id=customer_id,
            channel="web",
            currency="EUR",
            lines=[
                OrderLine(line_no=n, sku=sku, quantity=q, unit_price=eur(price), vat_rate=Decimal("0.21"))
                for n, (sku, q, price) in enumerate(lines, start=1)
            ],
            shipping_address=Address(
                name="A", line1="Street 1", postal_code="1000", city="Gent", country="BE"
            ),
            backorder_policy="allow",
            placed_at=placed_at,
        )
        await self.publish(event, f"order-{order_id}", at=placed_at)
        return event

    async def order_shipped(
        self,
        placed: OrderPlaced,
        shipment_id: str,
        *,
        shipped_at: dt.datetime = T0 - dt.timedelta(days=9),
        replacement_for: str | None = None,
        quantities: dict[int, int] | None = None,
    ) -> OrderShipped:
        lines = [
            ShippedLine(
                line_no=line.line_no,
                sku=line.sku,
                quantity=(quantities or {}).get(line.line_no, line.quantity),
                unit_price=eur("0") if replacement_for else line.unit_price,
                vat_rate=line.vat_rate,
            )
            for line in placed.lines
            if (quantities or {}).get(line.line_no, line.quantity) > 0
        ]
        event = OrderShipped(
            order_id=placed.order_id,
            shipment_id=shipment_id,
            customer_id=placed.customer_id,
            currency="EUR",
            lines=lines,
            carrier="bpost",
            tracking_number="TRK-" + shipment_id,
            shipped_at=shipped_at,
            replacement_for=replacement_for,
        )
        await self.publish(event, f"order-{placed.order_id}", at=shipped_at)
        return event

    # billing-service events -----------------------------------------------------------
    async def invoice_issued(
        self,
        invoice_id: str,
        customer_id: str,
        order_id: str,
        gross: str,
        *,
        issued_at: dt.datetime = T0 - dt.timedelta(days=9),
    ) -> InvoiceIssued:
        amount = eur(gross)
        event = InvoiceIssued(
            invoice_id=invoice_id,
            customer_id=customer_id,
            number=f"INV-2026-{invoice_id}",
            order_id=order_id,
            shipment_id="s-" + order_id,
            issue_date=issued_at.date(),
            due_date=(issued_at + dt.timedelta(days=30)).date(),
            currency="EUR",
            lines=[
                InvoiceLine(
                    line_no=1,
                    sku="VASE",
                    quantity=1,
                    unit_price=amount,
                    vat_rate=Decimal(0),
                    net=amount,
                    vat=eur("0"),
                    gross=amount,
                )
            ],
            net=amount,
            vat=eur("0"),
            gross=amount,
        )
        await self.publish(event, f"invoice-{invoice_id}", at=issued_at)
        return event

    async def payment_posted(
        self,
        payment_id: str,
        customer_id: str,
        allocations: dict[str, str],
        unapplied: str = "0.00",
        *,
        received_at: dt.datetime = T0 - dt.timedelta(days=5),
    ) -> PaymentPosted:
        allocated = sum((eur(a) for a in allocations.values()), eur("0"))
        event = PaymentPosted(
            payment_id=payment_id,
            customer_id=customer_id,
            amount=allocated + eur(unapplied),
            received_on=received_at.date(),
            bank_transaction_id="bank-" + payment_id,
            allocations=[Allocation(invoice_id=i, amount=eur(a)) for i, a in allocations.items()],
            unapplied=eur(unapplied),
        )
        await self.publish(event, f"payment-{payment_id}", at=received_at)
        return event

    async def credit_note_issued(
        self,
        credit_note_id: str,
        invoice_id: str,
        customer_id: str,
        gross: str,
        *,
        remedy_id: str | None = None,
        ticket_id: str | None = None,
        at: dt.datetime = T0,
    ) -> CreditNoteIssued:
        amount = eur(gross)
        event = CreditNoteIssued(
            invoice_id=invoice_id,
            customer_id=customer_id,
            credit_note_id=credit_note_id,
            number=f"CN-2026-{credit_note_id}",
            lines=[
                CreditNoteLine(
                    line_no=1, sku="SKU-1", vat_rate=Decimal(0), net=amount, vat=eur("0"), gross=amount
                )
            ],
            vat_breakdown=[VatRateAmount(vat_rate=Decimal(0), taxable=amount, vat=eur("0"))],
            net=amount,
            vat=eur("0"),
            gross=amount,
            applied=amount,
            unapplied=eur("0"),
            reason="support credit",
            remedy_id=remedy_id,
            ticket_id=ticket_id,
            issue_date=at.date(),
        )
        await self.publish(event, f"invoice-{invoice_id}", at=at)
        return event


class World:
    """The running support service, the event feed and small helpers for the tests."""

    def __init__(self, svc: RunningService, feed: Feed) -> None:
        self.svc = svc
        self.feed = feed
        self.client = svc.client

    async def count_events(self) -> int:
        """Events in the support service's store."""
        return int(await self.scalar("SELECT count(*) FROM events") or 0)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.svc.ctx.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def wait_known(
        self, customer_id: str | None = None, *, order_id: str | None = None, invoice_id: str | None = None
    ) -> None:
        """Wait until the history projection knows the customer, order or issued invoice."""

        async def check() -> bool:
            ok = True
            if customer_id is not None:
                ok &= bool(
                    await self.scalar("SELECT count(*) FROM customers WHERE customer_id = :v", v=customer_id)
                )
            if order_id is not None:
                ok &= bool(
                    await self.scalar("SELECT count(*) FROM known_orders WHERE order_id = :v", v=order_id)
                )
            if invoice_id is not None:
                ok &= bool(
                    await self.scalar(
                        "SELECT count(*) FROM known_invoices WHERE invoice_id = :v AND gross IS NOT NULL",
                        v=invoice_id,
                    )
                )
            return ok

        await eventually(check, timeout=30)

    async def open_ticket(
        self, customer_id: str, headers: dict[str, str] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Open a ticket (201 expected) and return its body."""
        body = {
            "customer_id": customer_id,
            "channel": "email",
            "subject": "Broken vase",
            "priority": "normal",
        }
        body.update(fields)
        resp = await self.client.post("/tickets", json=body, headers=headers or {})
        assert resp.status_code == 201, resp.text
        result: dict[str, Any] = resp.json()
        return result

    async def post(
        self, path: str, body: dict[str, Any] | None = None, expect: int = 200, **kw: Any
    ) -> dict[str, Any]:
        """POST and check the status; returns the body."""
        resp = await self.client.post(path, json=body, **kw)
        assert resp.status_code == expect, resp.text
        result: dict[str, Any] = resp.json()
        return result


@pytest_asyncio.fixture
async def support_svc(databases, kafka_config) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, databases, kafka_config) as svc:
        yield svc


@pytest_asyncio.fixture
async def feed(kafka_config) -> AsyncIterator[Feed]:
    the_feed = Feed(kafka_config)
    async with the_feed.producer:
        yield the_feed


@pytest_asyncio.fixture
async def world(support_svc: RunningService, feed: Feed) -> World:
    return World(support_svc, feed)
