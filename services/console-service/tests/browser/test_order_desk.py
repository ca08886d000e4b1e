"""The order desk in a real browser: an order clerk enters an order (price and availability
shown as the SKU is typed), ships it, and sees its invoice; every order page passes axe."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import expect

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


async def stock_the_shop(deployment) -> None:
    order = deployment.order.client
    for sku, name, price, quantity in (
        ("CHAIR-OAK", "Oak chair", "120.00", 40),
        ("DESK-ASH", "Ash desk", "450.00", 5),
    ):
        body = {
            "sku": sku,
            "name": name,
            "unit_price": {"amount": price, "currency": "EUR"},
            "vat_rate": "0.25",
        }
        assert (await order.post("/products", json=body)).status_code == 201
        assert (await order.post(f"/stock/{sku}/receipts", json={"quantity": quantity})).status_code == 201
    account = {"customer_id": "cust-nordlys", "currency": "EUR", "payment_terms_days": 30}
    assert (await deployment.billing.client.post("/accounts", json=account)).status_code in (200, 201)


async def test_an_order_clerk_enters_and_ships_an_order_and_sees_its_invoice(deployment, ui) -> None:
    await stock_the_shop(deployment)
    # Billing lets billing clerks (not order clerks) read invoices, so Olga holds both roles.
    await deployment.add_user("olga@example.com", "Olga Order", Role.ORDER_CLERK, Role.BILLING_CLERK)
    context, page = await ui.new_page()
    await ui.log_in(page, deployment.url, "olga@example.com")

    await page.get_by_role("link", name="Order desk").first.click()
    await page.get_by_role("link", name="Enter an order").click()
    assert await ui.serious_violations(page) == []
    await page.get_by_label("Customer").fill("cust-nordlys")
    await page.get_by_label("SKU, line 1").fill("CHAIR-OAK")
    # Price and availability appear beside the line as the SKU is typed (htmx).
    await expect(page.locator("#lookup-0")).to_contain_text("40 available")
    await expect(page.locator("#lookup-0")).to_contain_text("120,00 €")  # Olga's locale: en_DK
    await page.get_by_label("Quantity, line 1").fill("3")
    await page.get_by_label("SKU, line 2").fill("NO-SUCH-SKU")
    await page.get_by_label("Quantity, line 2").fill("1")
    for label, value in (
        ("Name", "Nordlys ApS"),
        ("Street", "Havnegade 1"),
        ("Postal code", "1058"),
        ("City", "København"),
        ("Country (ISO code)", "DK"),
    ):
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_role("button", name="Place order").click()
    # The API's problem is shown beside the line it names; nothing was placed.
    problem = page.locator("#lines-1-sku ~ .problem")
    await expect(problem).to_contain_text("NO-SUCH-SKU")
    await ui.screenshot(page, "order-entry")
    await page.get_by_label("SKU, line 2").fill("")
    await page.get_by_label("Quantity, line 2").fill("")
    await page.get_by_role("button", name="Place order").click()
    await page.wait_for_url("**/orders/*")
    await expect(page.locator("#order-status")).to_have_text("placed")
    order_url = page.url

    await page.get_by_label("Carrier").fill("PostNord")
    await page.get_by_label("Tracking number").fill(f"PN-{uuid.uuid4().hex[:8]}")
    await page.get_by_role("button", name="Record shipment").click()
    await expect(page.locator("#order-status")).to_have_text("fulfilled")

    async def invoiced() -> bool:
        await page.goto(order_url)
        return await page.locator("#invoices a").count() == 1

    await eventually(invoiced, timeout=60)
    await expect(page.locator("#invoices")).to_contain_text("450,00 €")  # 3 x 120 + 25 % VAT
    await expect(page.locator(".history")).to_contain_text("by olga@example.com")
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "order-desk-order")

    await page.get_by_role("link", name="Order desk").click()
    await expect(page.locator("table")).to_contain_text("cust-nordlys")
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "order-desk")
    await page.get_by_role("link", name="Stock").click()
    await expect(page.locator("table")).to_contain_text("CHAIR-OAK")
    await expect(page.locator("tr", has_text="CHAIR-OAK")).to_contain_text("37")
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "stock")

    # A second order, cancelled before it ships: its reserved desk is free again.
    await page.goto(deployment.url + "/orders/new")
    await page.get_by_label("Customer").fill("cust-nordlys")
    await page.get_by_label("SKU, line 1").fill("DESK-ASH")
    await page.get_by_label("Quantity, line 1").fill("1")
    for label, value in (
        ("Name", "Nordlys ApS"),
        ("Street", "Havnegade 1"),
        ("Postal code", "1058"),
        ("City", "København"),
        ("Country (ISO code)", "DK"),
    ):
        await page.get_by_label(label, exact=True).fill(value)
    await page.get_by_role("button", name="Place order").click()
    await expect(page.locator("#order-status")).to_have_text("placed")
    await page.get_by_label("Reason to cancel the unshipped rest").fill("customer changed their mind")
    await page.get_by_role("button", name="Cancel order").click()
    await expect(page.locator("#order-status")).to_have_text("cancelled")
    await context.close()
