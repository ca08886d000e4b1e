"""Ticket to remedy: a credit remedy becomes exactly one credit note in billing and reaches the
books; a reshipment remedy makes order-service ship exactly one free replacement; both outcomes
show on the ticket; the customer's timeline shows the whole story."""

from decimal import Decimal

import pytest

from backoffice_events.testing import eventually
from e2e.flows import eur, invoice_for, ok, place_and_ship, receivable, stock_product, trial_balance_is_zero

pytestmark = pytest.mark.integration


async def test_ticket_to_remedy_across_the_services(system) -> None:
    order, billing, ledger, support = system.order, system.billing, system.ledger, system.support
    await stock_product(order, "E2E-R", "20.00", "0.21", 50)
    order_id, shipment_id = await place_and_ship(order, "cust-remedy", [("E2E-R", 2)])
    invoice = await invoice_for(billing, "cust-remedy", shipment_id)
    assert invoice["gross"] == eur("48.40")

    async def support_knows_the_invoice() -> bool:
        timeline = await ok(await support.client.get("/customers/cust-remedy/timeline"))
        kinds = {item["kind"] for item in timeline["items"]}
        return {"order_placed", "invoice_issued"} <= kinds

    await eventually(support_knows_the_invoice, timeout=60)
    ticket = await ok(
        await support.client.post(
            "/tickets",
            json={
                "customer_id": "cust-remedy",
                "order_id": order_id,
                "invoice_id": invoice["invoice_id"],
                "channel": "email",
                "subject": "one box arrived broken",
                "description": "glass shattered",
                "priority": "high",
            },
        ),
        201,
    )
    tid = ticket["ticket_id"]
    await ok(await support.client.post(f"/tickets/{tid}/root-cause", json={"root_cause": "damaged_goods"}))
    credit = await ok(
        await support.client.post(
            f"/tickets/{tid}/remedies",
            json={
                "kind": "credit",
                "invoice_id": invoice["invoice_id"],
                "amount": eur("24.20"),
                "reason": "broken item",
            },
        ),
        201,
    )
    reship = await ok(
        await support.client.post(
            f"/tickets/{tid}/remedies",
            json={"kind": "reshipment", "order_id": order_id, "lines": [{"line_no": 1, "quantity": 1}]},
        ),
        201,
    )

    async def outcomes() -> dict | None:
        view = await ok(await support.client.get(f"/tickets/{tid}"))
        remedies = {r["remedy_id"]: r for r in view["remedies"]}
        done = [r for r in remedies.values() if r["status"] == "fulfilled"]
        return remedies if len(done) == 2 else None

    remedies = await eventually(outcomes, timeout=90)
    credit_note_id = remedies[credit["remedy"]["remedy_id"]]["outcome"]["credit_note_id"]
    replacement_id = remedies[reship["remedy"]["remedy_id"]]["outcome"]["shipment_id"]
    assert credit_note_id and replacement_id

    # Billing issued exactly one credit note, and no invoice for the free replacement.
    billed = await ok(await billing.client.get(f"/invoices/{invoice['invoice_id']}"))
    assert [cn["credit_note_id"] for cn in billed["credit_notes"]] == [credit_note_id]
    assert billed["open_amount"] == eur("24.20")
    invoices = await ok(await billing.client.get("/invoices", params={"customer_id": "cust-remedy"}))
    assert len(invoices["items"]) == 1

    # Order-service shipped exactly one free replacement, linked to the remedy.
    shipped = await ok(await order.client.get(f"/orders/{order_id}"))
    replacements = [e for e in shipped["history"] if e["data"].get("replacement_for")]
    assert len(replacements) == 1
    assert all(line["unit_price"]["amount"] in ("0", "0.00") for line in replacements[0]["data"]["lines"])

    # The books: AR is what is still open after the credit, and they balance.
    async def ar_after_credit() -> bool:
        return await receivable(ledger, "cust-remedy") == Decimal("24.20")

    await eventually(ar_after_credit, timeout=60)
    assert await trial_balance_is_zero(ledger)

    await ok(
        await support.client.post(f"/tickets/{tid}/resolve", json={"resolution": "credited and reshipped"})
    )
    await ok(await support.client.post(f"/tickets/{tid}/satisfaction", json={"score": 5}))

    async def timeline_complete() -> bool:
        timeline = await ok(await support.client.get("/customers/cust-remedy/timeline"))
        kinds = {item["kind"] for item in timeline["items"]}
        return {"order_placed", "invoice_issued", "credit_note_issued", "ticket_opened"} <= kinds

    await eventually(timeline_complete, timeout=60)
