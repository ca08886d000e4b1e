"""Billing-service fixtures: the whole service on a fresh database and the test's topics, and a
small driver (``billing``) that ships, pays and feeds events the way the other services would."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Sequence
from decimal import Decimal
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from backoffice_events.catalog import LEDGER, EventModel
from backoffice_events.catalog.chart import AccountClosed, AccountOpened, AccountType
from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.catalog.support import CreditRemedyRequested
from backoffice_events.consumer import ConsumedEvent
from backoffice_events.envelope import Envelope
from backoffice_events.money import Money
from backoffice_events.testing import CloudEventProducer
from backoffice_platform.testing import RunningService, running_service
from billing_service.adapters.chart import on_account_closed, on_account_opened
from billing_service.service import DEFINITION
from billing_service.service_layer.invoicing import issue_invoice

# The ledger's chart as billing needs it: system accounts (with their role) and a few accounts
# bills post to. Fed through the chart consumer's handlers; test_chart.py also feeds it over Kafka.
LEDGER_CHART: tuple[AccountOpened, ...] = (
    AccountOpened(code="1000", name="Cash at bank", account_type=AccountType.ASSET, role="cash"),
    AccountOpened(code="1400", name="VAT input", account_type=AccountType.ASSET, role="vat_input"),
    AccountOpened(code="1500", name="Equipment", account_type=AccountType.ASSET),
    AccountOpened(
        code="2000", name="Accounts payable", account_type=AccountType.LIABILITY, role="accounts_payable"
    ),
    AccountOpened(code="4000", name="Revenue", account_type=AccountType.INCOME, role="revenue"),
    AccountOpened(code="6000", name="Purchases", account_type=AccountType.EXPENSE),
    AccountOpened(code="6100", name="Freight and carriage", account_type=AccountType.EXPENSE),
    AccountOpened(code="6200", name="Rent", account_type=AccountType.EXPENSE),
    AccountOpened(code="6900", name="Bad debt", account_type=AccountType.EXPENSE, role="bad_debt"),
)
_CHART_HANDLERS = {AccountOpened: on_account_opened, AccountClosed: on_account_closed}


async def feed_chart(svc: RunningService, *events: EventModel) -> None:
    """Apply chart events to billing's read model as its chart consumer does."""
    async with svc.ctx.engine.begin() as conn:
        for event in events:
            envelope = Envelope(
                id=str(uuid.uuid4()),
                source="ledger",
                type=event.cloud_type(),
                subject="chart",
                time=dt.datetime.now(dt.UTC),
                data=event.model_dump(mode="json"),
                stream_version=1,
                correlation_id="billing-test-chart",
            )
            await _CHART_HANDLERS[type(event)](conn, ConsumedEvent(envelope, event, LEDGER, 0, 0))


@pytest_asyncio.fixture
async def billing_svc(databases, kafka_config) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, databases, kafka_config) as svc:
        await feed_chart(svc, *LEDGER_CHART)
        yield svc


class Billing:
    """Drives a running billing service in tests."""

    def __init__(self, svc: RunningService) -> None:
        self.svc = svc
        self.client = svc.client

    # events in --------------------------------------------------------------------------------
    @staticmethod
    def shipped(
        customer_id: str = "cust-1",
        lines: Sequence[tuple[str, int, str, str]] = (("W-1", 2, "10.00", "0.21"),),
        currency: str = "EUR",
        shipment_id: str | None = None,
        replacement_for: str | None = None,
        shipped_at: dt.datetime | None = None,
    ) -> OrderShipped:
        """An OrderShipped with lines ``(sku, quantity, unit price, vat rate)``, shipped at
        ``shipped_at`` (default 2026-01-15 08:00 UTC)."""
        return OrderShipped(
            order_id=f"ord-{uuid.uuid4().hex[:8]}",
            shipment_id=shipment_id or f"shp-{uuid.uuid4().hex[:8]}",
            customer_id=customer_id,
            currency=currency,
            lines=[
                ShippedLine(
                    line_no=i + 1,
                    sku=sku,
                    quantity=quantity,
                    unit_price=Money.of(price, currency),
                    vat_rate=Decimal(vat),
                )
                for i, (sku, quantity, price, vat) in enumerate(lines)
            ],
            carrier="DHL",
            shipped_at=shipped_at or dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.UTC),
            replacement_for=replacement_for,
        )

    @staticmethod
    def credit_remedy(
        invoice: dict[str, Any], amount: str, remedy_id: str | None = None
    ) -> CreditRemedyRequested:
        return CreditRemedyRequested(
            ticket_id=f"tkt-{uuid.uuid4().hex[:6]}",
            customer_id=invoice["customer_id"],
            remedy_id=remedy_id or f"rem-{uuid.uuid4().hex[:8]}",
            invoice_id=invoice["invoice_id"],
            amount=Money.of(amount, invoice["currency"]),
            reason="damaged goods",
        )

    async def produce(self, *events: EventModel, event_ids: Sequence[str] | None = None) -> list[str]:
        """Publish events as CloudEvents to the test's topics, as their owning service would."""
        async with CloudEventProducer(self.svc.ctx.kafka) as producer:
            ids = list(event_ids or [str(uuid.uuid4()) for _ in events])
            for event, event_id in zip(events, ids, strict=True):
                subject = getattr(event, "order_id", None) or getattr(event, "ticket_id", "x")
                envelope = Envelope(
                    id=event_id,
                    source="test",
                    type=event.cloud_type(),
                    subject=subject,
                    time=dt.datetime.now(dt.UTC),
                    data=event.model_dump(mode="json"),
                    stream_version=1,
                    correlation_id=event_id,
                )
                await producer.send(event.topic, envelope)
        return ids

    async def feed_chart(self, *events: EventModel) -> None:
        """Apply ledger chart events to billing's read model, as its chart consumer does."""
        await feed_chart(self.svc, *events)

    # shortcuts ----------------------------------------------------------------------------------
    async def ship(
        self, customer_id: str = "cust-1", *lines: tuple[str, int, str, str], **kw: Any
    ) -> dict[str, Any]:
        """Invoice a shipment through the service layer (as the consumer does), shipped now by the
        service's clock unless ``shipped_at`` is given; the invoice as JSON."""
        kw.setdefault("shipped_at", self.svc.clock.now())
        shipped = self.shipped(customer_id, lines or (("W-1", 2, "10.00", "0.21"),), **kw)
        invoice = await issue_invoice(self.svc.ctx, shipped)
        assert invoice is not None
        return await self.invoice(invoice.invoice_id)

    async def invoice(self, invoice_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"/invoices/{invoice_id}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def pay(
        self,
        customer_id: str,
        amount: str,
        reference: str | None = None,
        currency: str = "EUR",
        bank_transaction_id: str | None = None,
        **kw: Any,
    ) -> httpx.Response:
        body = {
            "customer_id": customer_id,
            "amount": {"amount": amount, "currency": currency},
            "bank_transaction_id": bank_transaction_id or f"bt-{uuid.uuid4().hex[:10]}",
            **kw,
        }
        if reference is not None:
            body["payer_reference"] = reference
        return await self.client.post("/payments", json=body)

    async def account(self, customer_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"/accounts/{customer_id}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.svc.ctx.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def count_events(self) -> int:
        return int(await self.scalar("SELECT count(*) FROM events") or 0)

    async def event_types(self) -> list[str]:
        async with self.svc.ctx.engine.connect() as conn:
            rows = await conn.execute(text("SELECT type FROM events ORDER BY position"))
            return [r.type for r in rows]


@pytest_asyncio.fixture
async def billing(billing_svc: RunningService) -> Billing:
    return Billing(billing_svc)


@pytest.fixture
def billing_driver() -> type[Billing]:
    """The driver class, for tests that start the service themselves (other settings)."""
    return Billing
