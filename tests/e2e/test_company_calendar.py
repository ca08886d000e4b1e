"""The company calendar on the real stack (billing and ledger, Kafka, PostgreSQL), for a company
in Europe/Copenhagen: invoices dated by their shipment in the company's zone and numbered in
that date's year; cash received before its invoice stays unapplied until the invoice's date, so
billing's statement and the ledger agree on every date; unapplied cash of any source applied by
hand; automatic application switched off per customer."""

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio

from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.envelope import Envelope
from backoffice_events.money import Money
from backoffice_events.testing import CloudEventProducer, eventually
from backoffice_platform.clock import FixedClock
from backoffice_platform.testing import RunningService, running_service
from e2e.flows import eur, ok

pytestmark = pytest.mark.integration

COPENHAGEN = {"company_timezone": "Europe/Copenhagen"}


@pytest_asyncio.fixture
async def books(databases, kafka_config) -> AsyncIterator[tuple[RunningService, RunningService]]:
    """Billing and ledger for a company in Copenhagen, on one clock (2026-01-15 09:00 UTC)."""
    from billing_service.service import DEFINITION as BILLING
    from ledger_service.service import DEFINITION as LEDGER

    clock = FixedClock(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC))
    async with AsyncExitStack() as stack:
        billing, ledger = [
            await stack.enter_async_context(
                running_service(d, databases, kafka_config, clock=clock, settings_overrides=COPENHAGEN)
            )
            for d in (BILLING, LEDGER)
        ]
        yield billing, ledger


async def ship(billing: RunningService, customer: str, price: str, shipped_at: dt.datetime) -> dict[str, Any]:
    """Publish an ``OrderShipped`` (one line at 21 % VAT) as order-service would; the invoice."""
    shipped = OrderShipped(
        order_id=f"ord-{uuid.uuid4().hex[:8]}",
        shipment_id=f"shp-{uuid.uuid4().hex[:8]}",
        customer_id=customer,
        currency="EUR",
        lines=[
            ShippedLine(
                line_no=1, sku="BK-1", quantity=1, unit_price=Money.of(price, "EUR"), vat_rate=Decimal("0.21")
            )
        ],
        carrier="DHL",
        shipped_at=shipped_at,
    )
    event_id = str(uuid.uuid4())
    async with CloudEventProducer(billing.ctx.kafka) as producer:
        envelope = Envelope(
            id=event_id,
            source="order",
            type=shipped.cloud_type(),
            subject=shipped.order_id,
            time=shipped_at,
            data=shipped.model_dump(mode="json"),
            stream_version=1,
            correlation_id=event_id,
        )
        await producer.send(shipped.topic, envelope)

    async def invoiced() -> dict[str, Any] | None:
        page = await ok(await billing.client.get("/invoices", params={"customer_id": customer}))
        found = [i for i in page["items"] if i["shipment_id"] == shipped.shipment_id]
        return found[0] if found else None

    invoice: dict[str, Any] = await eventually(invoiced, timeout=60)
    return invoice


async def ledger_balance(ledger: RunningService, customer: str, as_of: str) -> tuple[Decimal, Decimal]:
    """The ledger's (receivable, unapplied cash) of the customer at ``as_of``."""
    body = await ok(await ledger.client.get(f"/customers/{customer}/balance", params={"as_of": as_of}))
    rows = body["balances"]
    return (
        sum((Decimal(b["receivable"]) for b in rows), Decimal(0)),
        sum((Decimal(b["unapplied_cash"]) for b in rows), Decimal(0)),
    )


async def statement(billing: RunningService, customer: str, as_of: str) -> tuple[Decimal, Decimal]:
    """Billing's (total open, unapplied cash) of the customer at ``as_of``."""
    body = await ok(await billing.client.get(f"/customers/{customer}/statement", params={"as_of": as_of}))
    return Decimal(body["total_open"]["amount"]), Decimal(body["unapplied_cash"]["amount"])


async def settled_in_ledger(
    ledger: RunningService, customer: str, as_of: str, expected: tuple[str, str]
) -> None:
    want = (Decimal(expected[0]), Decimal(expected[1]))

    async def check() -> bool:
        return await ledger_balance(ledger, customer, as_of) == want

    await eventually(check, timeout=60)


async def test_a_new_years_eve_shipment_is_invoiced_on_new_years_day_in_the_new_series(books) -> None:
    billing, ledger = books
    late_evening = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Copenhagen
    invoice = await ship(billing, "nye", "100.00", late_evening)
    assert (invoice["issue_date"], invoice["delivery_date"], invoice["due_date"]) == (
        "2026-01-01",
        "2026-01-01",
        "2026-01-31",
    )
    assert invoice["number"] == "INV-2026-000001"
    # An earlier shipment of 31 December (22:00 UTC = 23:00 in Copenhagen) stays in last year's series.
    before = await ship(billing, "nye", "50.00", dt.datetime(2025, 12, 31, 22, 0, tzinfo=dt.UTC))
    assert (before["number"], before["issue_date"]) == ("INV-2025-000001", "2025-12-31")
    # The ledger books the invoices on those dates.
    await settled_in_ledger(ledger, "nye", "2026-01-01", ("181.50", "0"))
    assert await ledger_balance(ledger, "nye", "2025-12-31") == (Decimal("60.50"), Decimal(0))


async def test_a_payment_before_its_invoice_stays_unapplied_until_the_invoice_date(books) -> None:
    billing, ledger = books
    # The invoice of a shipment on 12 January (30.25 gross) exists when a payment received on
    # 10 January is posted on the 15th and names it.
    invoice = await ship(billing, "early", "25.00", dt.datetime(2026, 1, 12, 10, tzinfo=dt.UTC))
    assert (invoice["issue_date"], invoice["gross"]) == ("2026-01-12", eur("30.25"))
    paid = await ok(
        await billing.client.post(
            "/payments",
            json={
                "customer_id": "early",
                "amount": eur("30.25"),
                "received_on": "2026-01-10",
                "bank_transaction_id": "BT-early",
                "payer_reference": invoice["number"],
            },
        ),
        201,
    )
    assert paid["allocations"] == [{"invoice_id": invoice["invoice_id"], "amount": eur("30.25")}]
    # The customer pays again before the next shipment: that cash is applied on its invoice's date.
    await ok(
        await billing.client.post(
            "/payments",
            json={
                "customer_id": "early",
                "amount": eur("12.10"),
                "received_on": "2026-01-11",
                "bank_transaction_id": "BT-early-2",
            },
        ),
        201,
    )
    second = await ship(billing, "early", "10.00", dt.datetime(2026, 1, 14, 10, tzinfo=dt.UTC))
    assert (await billing.client.get(f"/invoices/{second['invoice_id']}")).json()["status"] == "paid"

    await settled_in_ledger(ledger, "early", "2026-01-15", ("0", "0"))
    # Every date: billing's statement and the ledger say the same; AR never goes negative.
    for day, open_, unapplied in [
        ("2026-01-09", "0", "0"),
        ("2026-01-10", "0", "30.25"),
        ("2026-01-11", "0", "42.35"),
        ("2026-01-12", "0", "12.10"),
        ("2026-01-13", "0", "12.10"),
        ("2026-01-14", "0", "0"),
    ]:
        expected = (Decimal(open_), Decimal(unapplied))
        assert await ledger_balance(ledger, "early", day) == expected, day
        assert await statement(billing, "early", day) == expected, day


async def test_surplus_of_any_source_is_applied_by_hand_when_automatic_application_is_off(books) -> None:
    billing, ledger = books
    await ok(await billing.client.post("/accounts", json={"customer_id": "manual", "currency": "EUR"}), 201)
    read = await billing.client.get("/accounts/manual")
    assert read.headers["ETag"] == 'W/"1"' and read.json()["auto_apply_cash"] is True
    stale = await billing.client.put(
        "/accounts/manual/cash-application", json={"auto_apply_cash": False}, headers={"If-Match": 'W/"7"'}
    )
    assert (stale.status_code, stale.json()["rule"], stale.json()["field"]) == (
        409,
        "version-mismatch",
        "If-Match",
    )
    switched = await billing.client.put(
        "/accounts/manual/cash-application", json={"auto_apply_cash": False}, headers={"If-Match": 'W/"1"'}
    )
    assert switched.status_code == 200, switched.text
    assert (switched.headers["ETag"], switched.json()["auto_apply_cash"]) == ('W/"2"', False)

    first = await ship(billing, "manual", "100.00", dt.datetime(2026, 1, 5, 10, tzinfo=dt.UTC))  # 121.00
    await ok(
        await billing.client.post(
            "/payments",
            json={"customer_id": "manual", "amount": eur("141.00"), "bank_transaction_id": "BT-m"},
        ),
        201,
    )  # 20.00 over
    credit = await ok(
        await billing.client.post(
            f"/invoices/{first['invoice_id']}/credit-notes",
            json={"amount": eur("12.10"), "reason": "damaged"},
        ),
        201,
    )
    assert credit["unapplied"] == eur("12.10")  # the invoice was paid: the credit is unapplied cash

    second = await ship(billing, "manual", "50.00", dt.datetime(2026, 1, 15, 8, tzinfo=dt.UTC))  # 60.50
    cash = await ok(await billing.client.get("/customers/manual/unapplied-cash"))
    assert cash["unapplied_cash"] == eur("32.10")  # not applied: the setting is off
    assert [(s["kind"], s["unapplied"]["amount"]) for s in cash["sources"]] == [
        ("payment", "20.00"),
        ("credit_note", "12.10"),
    ]
    assert (await billing.client.get(f"/invoices/{second['invoice_id']}")).json()["open_amount"] == eur(
        "60.50"
    )

    too_much = await billing.client.post(
        "/customers/manual/unapplied-cash/applications",
        json={"invoice_id": second["invoice_id"], "amount": eur("40.00")},
    )
    assert too_much.status_code == 422 and too_much.headers["content-type"] == "application/problem+json"
    assert (too_much.json()["field"], too_much.json()["rule"]) == ("amount", "allocation-exceeds-unapplied")

    # The credit note's surplus by hand (what answered 404 payment-not-found before), then the rest.
    applied = await ok(
        await billing.client.post(
            "/customers/manual/unapplied-cash/applications",
            json={
                "invoice_id": second["invoice_id"],
                "amount": eur("12.10"),
                "source_id": credit["credit_note_id"],
            },
            headers={"Idempotency-Key": "apply-1"},
        ),
        201,
    )
    assert applied["unapplied_cash"] == eur("20.00")
    again = await billing.client.post(
        "/customers/manual/unapplied-cash/applications",
        json={
            "invoice_id": second["invoice_id"],
            "amount": eur("12.10"),
            "source_id": credit["credit_note_id"],
        },
        headers={"Idempotency-Key": "apply-1"},
    )
    assert again.json() == applied  # a retry records nothing twice
    rest = await ok(
        await billing.client.post(
            "/customers/manual/unapplied-cash/applications",
            json={"invoice_id": second["invoice_id"], "amount": eur("20.00")},
        ),
        201,
    )
    assert (rest["unapplied_cash"], rest["sources"]) == (eur("0.00"), [])
    assert (await billing.client.get(f"/invoices/{second['invoice_id']}")).json()["open_amount"] == eur(
        "28.40"
    )
    await settled_in_ledger(ledger, "manual", "2026-01-15", ("28.40", "0"))
