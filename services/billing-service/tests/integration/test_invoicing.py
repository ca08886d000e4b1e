"""Invoices per shipment: the OrderShipped consumer, exactly-once issue, gapless numbers, reads."""

import asyncio

import pytest
from sqlalchemy import text

from backoffice_events.catalog import ORDERS
from backoffice_events.dlq import read_dead_letters
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from billing_service.service_layer.invoicing import issue_invoice

pytestmark = pytest.mark.integration


def consumed(svc, n: int):
    async def check() -> bool:
        stats = svc.worker.consumers[0].stats
        return stats.handled + stats.skipped_duplicates + stats.dead_lettered >= n

    return check


async def test_a_shipment_delivered_twice_gives_exactly_one_invoice_with_the_right_totals(
    billing_svc, billing
) -> None:
    shipped = billing.shipped("cust-1", [("W-1", 2, "10.00", "0.21"), ("G-2", 3, "3.33", "0.09")])
    # The same event twice, then the same shipment replayed under another event id.
    first = await billing.produce(shipped, shipped, event_ids=["evt-1", "evt-1"])
    await billing.produce(shipped)
    await eventually(consumed(billing_svc, 3))
    assert first == ["evt-1", "evt-1"]

    page = (await billing.client.get("/invoices", params={"customer_id": "cust-1"})).json()
    assert len(page["items"]) == 1
    invoice = page["items"][0]
    assert invoice["number"] == "INV-2026-000001"
    assert invoice["shipment_id"] == shipped.shipment_id
    assert invoice["order_id"] == shipped.order_id
    assert invoice["issue_date"] == "2026-01-15"
    assert invoice["due_date"] == "2026-02-14"  # net 30, the default terms
    assert [
        (line["net"]["amount"], line["vat"]["amount"], line["gross"]["amount"]) for line in invoice["lines"]
    ] == [
        ("20.00", "4.20", "24.20"),
        ("9.99", "0.90", "10.89"),
    ]
    assert (invoice["net"]["amount"], invoice["vat"]["amount"], invoice["gross"]["amount"]) == (
        "29.99",
        "5.10",
        "35.09",
    )
    assert invoice["status"] == "open" and invoice["open_amount"]["amount"] == "35.09"
    account = await billing.account("cust-1")
    assert (account["currency"], account["payment_terms_days"], account["credit_limit"]) == ("EUR", 30, None)
    assert await billing.event_types() == [
        "backoffice.billing.account_opened.v1",
        "backoffice.billing.invoice_issued.v1",
    ]
    assert await billing.scalar("SELECT count(*) FROM invoices") == 1


async def test_unbillable_shipments_take_no_number_and_bad_ones_are_dead_lettered(
    billing_svc, billing
) -> None:
    replacement = billing.shipped("cust-1", replacement_for="rem-1")
    free = billing.shipped("cust-1", [("W-1", 1, "0.00", "0.21")])
    in_dollars = billing.shipped("cust-1", currency="USD")  # the account is in EUR
    billed = billing.shipped("cust-1")
    await billing.produce(replacement, free, in_dollars, billed)
    await eventually(consumed(billing_svc, 4))
    page = (await billing.client.get("/invoices")).json()
    assert [(i["shipment_id"], i["number"]) for i in page["items"]] == [
        (billed.shipment_id, "INV-2026-000001")
    ]
    letters = await eventually(lambda: read_dead_letters(billing_svc.ctx.kafka, ORDERS))
    assert len(letters) == 1 and "currency-mismatch" in letters[0].reason
    assert letters[0].event_type == "backoffice.order.shipped.v1"


async def test_two_hundred_concurrent_issues_get_consecutive_numbers(billing_svc, billing) -> None:
    shipments = [billing.shipped(f"cust-{i % 10}") for i in range(200)]
    invoices = await asyncio.gather(*(issue_invoice(billing_svc.ctx, s) for s in shipments))
    assert all(invoice is not None for invoice in invoices)
    async with billing_svc.ctx.engine.connect() as conn:
        numbers = [r.number for r in await conn.execute(text("SELECT number FROM invoices ORDER BY number"))]
    assert numbers == [f"INV-2026-{n:06d}" for n in range(1, 201)]
    # Issued again, concurrently: nothing new, no number taken.
    again = await asyncio.gather(*(issue_invoice(billing_svc.ctx, s) for s in shipments[:50]))
    assert again == [None] * 50
    assert await billing.scalar("SELECT last_number FROM number_series WHERE series = 'INV'") == 200
    assert await billing.scalar("SELECT count(*) FROM billing_accounts") == 10


async def test_invoices_are_read_listed_by_page_and_filtered(billing) -> None:
    first = await billing.ship("cust-1")
    await billing.ship("cust-2")
    await billing.ship("cust-1", ("A", 1, "5.00", "0"))
    paid = await billing.ship("cust-1", ("B", 1, "7.00", "0"))
    assert (await billing.pay("cust-1", "7.00", reference=paid["number"])).status_code == 201

    got = await billing.client.get(f"/invoices/{first['invoice_id']}")
    assert got.status_code == 200 and got.headers["ETag"] == 'W/"1"'
    missing = await billing.client.get("/invoices/nope")
    assert missing.status_code == 404 and missing.json()["rule"] == "invoice-not-found"

    page1 = (await billing.client.get("/invoices", params={"customer_id": "cust-1", "limit": 2})).json()
    assert [i["number"] for i in page1["items"]] == ["INV-2026-000001", "INV-2026-000003"]
    page2 = (
        await billing.client.get(
            "/invoices", params={"customer_id": "cust-1", "limit": 2, "cursor": page1["next_cursor"]}
        )
    ).json()
    assert [i["number"] for i in page2["items"]] == ["INV-2026-000004"] and page2["next_cursor"] is None
    open_only = (await billing.client.get("/invoices", params={"status": "open"})).json()["items"]
    assert len(open_only) == 3
    paid_only = (await billing.client.get("/invoices", params={"status": "paid"})).json()["items"]
    assert [i["invoice_id"] for i in paid_only] == [paid["invoice_id"]]
    bad_cursor = await billing.client.get("/invoices", params={"cursor": "garbage!"})
    assert bad_cursor.status_code == 422 and bad_cursor.json()["field"] == "cursor"
    bad_status = await billing.client.get("/invoices", params={"status": "lost"})
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status"


async def test_partners_see_only_their_own_customers_invoices(billing_svc, billing) -> None:
    own = await billing.ship("cust-partner-1")
    other = await billing.ship("cust-other")
    partner = billing_svc.as_role(Role.PARTNER)
    assert (await billing.client.get(f"/invoices/{own['invoice_id']}", headers=partner)).status_code == 200
    hidden = await billing.client.get(f"/invoices/{other['invoice_id']}", headers=partner)
    assert hidden.status_code == 404
    listed = (await billing.client.get("/invoices", headers=partner)).json()["items"]
    assert [i["invoice_id"] for i in listed] == [own["invoice_id"]]
    filtered = await billing.client.get("/invoices", params={"customer_id": "cust-other"}, headers=partner)
    assert filtered.json()["items"] == []
    statement = await billing.client.get("/customers/cust-other/statement", headers=partner)
    assert statement.status_code == 404
    assert (
        await billing.client.get("/customers/cust-partner-1/statement", headers=partner)
    ).status_code == 200
    # Readers: auditors read everything; support agents and payables clerks have no business here.
    auditor = billing_svc.as_role(Role.AUDITOR)
    assert (await billing.client.get(f"/invoices/{other['invoice_id']}", headers=auditor)).status_code == 200
    for role in (Role.SUPPORT_AGENT, Role.PAYABLES_CLERK):
        resp = await billing.client.get(f"/invoices/{own['invoice_id']}", headers=billing_svc.as_role(role))
        assert resp.status_code == 403
    assert (await billing.client.get("/invoices", headers={"X-API-Key": ""})).status_code == 401
