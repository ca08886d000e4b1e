"""The accounting desk in a real browser: a payables clerk enters a supplier bill, cannot
approve it themself (four eyes compares users), a second user approves it, the payment run
pays it; the ledger shows the trial balance and the books check. Every page passes axe."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


async def test_a_bill_needs_a_second_user_to_approve_it_and_then_is_paid(deployment, ui) -> None:
    supplier = {"supplier_id": "sup-paper", "name": "Paper & Co", "currency": "EUR", "payment_terms_days": 30}
    assert (await deployment.billing.client.post("/suppliers", json=supplier)).status_code == 201
    # Pia may enter and approve bills, but not her own: billing compares the two users.
    await deployment.add_user("pia@example.com", "Pia Payables", Role.PAYABLES_CLERK, Role.APPROVER)
    await deployment.add_user("arne@example.com", "Arne Approver", Role.APPROVER, Role.PAYABLES_CLERK)
    context, page = await ui.new_page()
    await ui.log_in(page, deployment.url, "pia@example.com")
    await page.get_by_role("link", name="Supplier bills").click()
    await page.get_by_role("link", name="Enter a bill").click()
    assert await ui.serious_violations(page) == []
    await page.get_by_label("Supplier", exact=True).fill("sup-paper")
    await page.get_by_label("Supplier's invoice number").fill("PC-2026-17")
    await page.get_by_label("Bill date").fill("2026-01-10")
    await page.get_by_label("Description, line 1").fill("printer paper")
    await page.get_by_label("Expense account, line 1").fill("6100")
    await page.get_by_label("Net amount, line 1").fill("100.001")
    await page.get_by_label("VAT rate, line 1 (e.g. 0.25)").fill("0.25")
    await page.get_by_role("button", name="Enter bill").click()
    # Too many decimals: billing's problem is shown beside the amount it names.
    await expect(page.locator("#lines-0-net-problem")).to_be_visible()
    await ui.screenshot(page, "bill-entry")
    await page.get_by_label("Net amount, line 1").fill("100.00")
    await page.get_by_role("button", name="Enter bill").click()
    await expect(page.locator("#bill-status")).to_have_text("received")
    bill_url = page.url

    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator(".problem").first).to_contain_text("cannot also approve it")
    await expect(page.locator("#bill-status")).to_have_text("received")
    await ui.screenshot(page, "bill-four-eyes")
    await ui.log_out(page)

    await ui.log_in(page, deployment.url, "arne@example.com")
    await page.goto(bill_url)
    await page.get_by_role("button", name="Approve").click()
    await expect(page.locator("#bill-status")).to_have_text("approved")
    await expect(page.locator("#approved-by")).to_contain_text("arne@example.com")
    assert await ui.serious_violations(page) == []

    await page.get_by_role("link", name="Supplier bills").click()
    await page.get_by_label("Pay approved bills due by").fill("2026-03-01")
    await page.get_by_role("button", name="Run payments").click()
    await expect(page.locator("#run-result")).to_contain_text("paid 1 bill(s)")
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "supplier-bills")

    await page.get_by_role("link", name="Ledger").click()
    await expect(page.locator("caption").first).to_contain_text("Trial balance")
    await expect(page.locator("#books-check")).to_be_visible()
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "ledger")
    await page.get_by_role("link", name="Invoices").click()
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "invoices")
    await context.close()
