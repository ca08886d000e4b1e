"""The customer's history, projected from order, billing and support events on real Kafka."""

import datetime as dt

import pytest

from backoffice_events.catalog.billing import (
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    RefundIssued,
)
from backoffice_events.catalog.orders import OrderCancelled, OrderDelivered
from backoffice_events.money import Money
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def timeline(world, customer_id: str, **params) -> dict:
    resp = await world.client.get(f"/customers/{customer_id}/timeline", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_timeline_shows_orders_shipments_invoices_payments_and_tickets(world) -> None:
    placed = await world.feed.order_placed("o-1", "c-1", placed_at=T0 - 10 * DAY)
    await world.feed.order_shipped(placed, "s-1", shipped_at=T0 - 9 * DAY)
    await world.feed.invoice_issued(
        "i-1", "c-1", "o-1", "32.00", issued_at=T0 - 9 * DAY + dt.timedelta(hours=1)
    )
    await world.feed.payment_posted(
        "p-1", "c-1", {"i-1": "12.00"}, unapplied="5.00", received_at=T0 - 5 * DAY
    )
    # Another customer's events never show up in c-1's history.
    await world.feed.order_placed("o-9", "c-9", placed_at=T0 - 8 * DAY)
    await world.wait_known("c-1", order_id="o-1", invoice_id="i-1")

    ticket = await world.open_ticket("c-1", order_id="o-1", invoice_id="i-1", subject="Vase arrived broken")

    async def with_ticket() -> dict:
        body = await timeline(world, "c-1")
        assert [item["kind"] for item in body["items"]] == [
            "order_placed",
            "order_shipped",
            "invoice_issued",
            "payment_received",
            "ticket_opened",
        ]
        return body

    body = await eventually(with_ticket)
    items = body["items"]
    assert items[0]["occurred_at"] == "2026-01-05T09:00:00Z"
    assert items[0]["references"] == {"order": ["o-1"]}
    assert items[0]["amount"] == eur("32.00")  # 2 x 10.00 + 3 x 4.00 net
    assert items[1]["references"] == {"order": ["o-1"], "shipment": ["s-1"]}
    assert items[2]["amount"] == eur("32.00") and items[2]["references"]["invoice"] == ["i-1"]
    assert items[3]["amount"] == eur("17.00")
    assert items[3]["summary"] == "Payment of 17.00 EUR received: 12.00 EUR to i-1; 5.00 EUR unapplied"
    assert items[4]["references"]["ticket"] == [ticket["ticket_id"]]
    assert "Vase arrived broken" in items[4]["summary"]
    assert body["open_balance"] == [eur("20.00")]
    assert body["unapplied_cash"] == [eur("5.00")]
    assert body["open_invoices"] == [
        {
            "invoice_id": "i-1",
            "number": "INV-2026-i-1",
            "due_date": "2026-02-05",
            "gross": eur("32.00"),
            "open_amount": eur("20.00"),
        }
    ]
    assert body["next_cursor"] is None

    # Pages of two, oldest first, until the cursor runs out.
    seen: list[str] = []
    cursor = None
    while True:
        page = await timeline(world, "c-1", limit=2, **({"cursor": cursor} if cursor else {}))
        seen.extend(item["kind"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [item["kind"] for item in items]


async def test_balances_follow_allocations_credits_write_offs_refunds(world) -> None:
    feed = world.feed
    placed = await feed.order_placed("o-1", "c-1")
    await feed.invoice_issued("i-1", "c-1", "o-1", "100.00")
    await feed.invoice_issued("i-2", "c-1", "o-1", "50.00")
    # Payment seen before nothing else of i-3: its invoice is not counted until issued.
    await feed.payment_posted("p-1", "c-1", {"i-1": "100.00", "i-3": "10.00"}, unapplied="30.00")
    await feed.publish(
        PaymentAllocated(payment_id="p-1", customer_id="c-1", invoice_id="i-2", amount=Money.of("20", "EUR")),
        "payment-p-1",
    )
    await feed.credit_note_issued("cn-1", "i-2", "c-1", "5.00")
    await feed.publish(
        InvoiceWrittenOff(
            invoice_id="i-2",
            customer_id="c-1",
            amount=Money.of("1.00", "EUR"),
            reason="rounding",
            written_off_on=T0.date(),
        ),
        "invoice-i-2",
    )
    await feed.publish(
        RefundIssued(
            refund_id="r-1", customer_id="c-1", amount=Money.of("4.00", "EUR"), refunded_on=T0.date()
        ),
        "refund-r-1",
    )
    await feed.publish(InvoicePaid(invoice_id="i-1", customer_id="c-1", paid_on=T0.date()), "invoice-i-1")
    await feed.publish(
        OrderCancelled(order_id="o-1", reason="customer asked", released=[], cancelled_at=T0), "order-o-1"
    )
    await feed.publish(OrderDelivered(order_id="o-1", shipment_id="s-1", delivered_at=T0), "order-o-1")
    assert placed.customer_id == "c-1"

    async def settled() -> dict:
        body = await timeline(world, "c-1")
        assert len(body["items"]) == 11
        return body

    body = await eventually(settled)
    # i-1 paid in full; i-2: 50 - 20 allocated - 5 credited - 1 written off = 24
    assert body["open_balance"] == [eur("24.00")]
    # 30 unapplied - 20 applied - 4 refunded
    assert body["unapplied_cash"] == [eur("6.00")]
    assert [i["invoice_id"] for i in body["open_invoices"]] == ["i-2"]
    kinds = [item["kind"] for item in body["items"]]
    for kind in (
        "payment_applied",
        "credit_note_issued",
        "invoice_written_off",
        "refund_issued",
        "invoice_paid",
        "order_cancelled",
        "order_delivered",
    ):
        assert kind in kinds


async def test_timeline_access(world) -> None:
    await world.feed.order_placed("o-1", "c-1")
    await world.feed.order_placed("o-2", "cust-partner-1")
    await world.wait_known("c-1", order_id="o-2")

    unknown = await world.client.get("/customers/nobody/timeline")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["rule"] == "unknown-customer" and unknown.json()["field"] == "customer_id"

    partner = world.svc.as_role(Role.PARTNER)
    hidden = await world.client.get("/customers/c-1/timeline", headers=partner)
    assert hidden.status_code == 404 and hidden.json()["rule"] == "unknown-customer"
    own = await world.client.get("/customers/cust-partner-1/timeline", headers=partner)
    assert own.status_code == 200
    for role in (Role.SUPPORT_AGENT, Role.AUDITOR):
        resp = await world.client.get("/customers/c-1/timeline", headers=world.svc.as_role(role))
        assert resp.status_code == 200
    clerk = await world.client.get("/customers/c-1/timeline", headers=world.svc.as_role(Role.ORDER_CLERK))
    assert clerk.status_code == 403

    bad_cursor = await world.client.get("/customers/c-1/timeline", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422 and bad_cursor.json()["field"] == "cursor"
