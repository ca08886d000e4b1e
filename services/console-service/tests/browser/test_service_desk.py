"""The service desk in a real browser: the ticket queue, a ticket beside the customer's
timeline, reply, root cause, a credit remedy and resolve; its pages pass axe."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration
ADDRESS = {"name": "Fjord A/S", "line1": "Kaj 2", "postal_code": "8000", "city": "Aarhus", "country": "DK"}


async def an_invoiced_customer(deployment) -> tuple[str, str]:
    """A shipped order of cust-fjord, its invoice issued and known to support."""
    order, billing, support = deployment.order.client, deployment.billing.client, deployment.support.client
    body = {
        "sku": "LAMP",
        "name": "Lamp",
        "unit_price": {"amount": "80.00", "currency": "EUR"},
        "vat_rate": "0.25",
    }
    assert (await order.post("/products", json=body)).status_code == 201
    assert (await order.post("/stock/LAMP/receipts", json={"quantity": 10})).status_code == 201
    placed = await order.post(
        "/orders",
        json={
            "customer_id": "cust-fjord",
            "channel": "web",
            "currency": "EUR",
            "backorder_policy": "reject",
            "shipping_address": ADDRESS,
            "lines": [{"sku": "LAMP", "quantity": 2}],
        },
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    order_id = placed.json()["order_id"]
    shipped = await order.post(
        f"/orders/{order_id}/shipments", json={"carrier": "GLS", "lines": [{"line_no": 1, "quantity": 2}]}
    )
    assert shipped.status_code == 201, shipped.text

    async def invoice() -> str | None:
        items = (await billing.get("/invoices", params={"customer_id": "cust-fjord"})).json()["items"]
        return str(items[0]["invoice_id"]) if items else None

    invoice_id: str = await eventually(invoice, timeout=60)

    async def support_knows() -> bool:
        timeline = (await support.get("/customers/cust-fjord/timeline")).json()
        return "invoice_issued" in {i["kind"] for i in timeline["items"]}

    await eventually(support_knows, timeout=60)
    ticket = await support.post(
        "/tickets",
        json={
            "customer_id": "cust-fjord",
            "order_id": order_id,
            "invoice_id": invoice_id,
            "channel": "email",
            "subject": "one lamp arrived broken",
            "description": "glass shattered",
            "priority": "high",
        },
    )
    assert ticket.status_code == 201, ticket.text
    return str(ticket.json()["ticket_id"]), invoice_id


async def test_an_agent_resolves_a_ticket_with_a_credit(deployment, ui) -> None:
    ticket_id, invoice_id = await an_invoiced_customer(deployment)
    await deployment.add_user("sam@example.com", "Sam Service", Role.SUPPORT_AGENT)
    context, page = await ui.new_page()
    await ui.log_in(page, deployment.url, "sam@example.com")
    await page.get_by_role("link", name="Service desk").first.click()
    await expect(page.locator("table")).to_contain_text("one lamp arrived broken")
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "service-desk")
    await page.get_by_role("link", name=ticket_id).click()
    await expect(page.locator("#timeline")).to_contain_text("invoice issued")

    await page.get_by_label("Reply to the customer").fill("Sorry! We credit the broken lamp.")
    await page.get_by_role("button", name="Send reply").click()
    await expect(page.locator(".history").first).to_contain_text("replied by sam@example.com")
    await page.get_by_label("Root cause").select_option("damaged_goods")
    await page.get_by_role("button", name="Record root cause").click()
    await expect(page.locator("#ticket-root-cause")).to_have_text("damaged goods")
    await page.get_by_label("Invoice to credit").fill(invoice_id)
    await page.get_by_label("Amount").fill("100.00")
    await page.get_by_label("Reason").fill("broken lamp")
    await page.get_by_role("button", name="Request credit").click()
    await expect(page.locator("#remedies")).to_contain_text("credit")
    await page.get_by_label("How it was resolved").fill("credited")
    await page.get_by_role("button", name="Resolve").click()
    await expect(page.locator("#ticket-status")).to_have_text("resolved")

    async def credited() -> bool:
        await page.reload()
        return "credit note" in (await page.locator("section").first.inner_text())

    await eventually(credited, timeout=60)
    await expect(page.locator(".history").first).to_contain_text("by sam@example.com")
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "service-desk-ticket")
    await context.close()
