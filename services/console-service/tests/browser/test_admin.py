"""The admin's desk in a real browser: add a user with roles, who can then log in; disable
them, which ends their open session at once; the users page passes axe."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


async def test_an_admin_adds_and_disables_a_user(deployment, ui) -> None:
    await deployment.add_user("adam@example.com", "Adam Admin", Role.ADMIN)
    admin_context, admin = await ui.new_page()
    await ui.log_in(admin, deployment.url, "adam@example.com")
    await admin.get_by_role("link", name="Users").first.click()
    await admin.get_by_label("Name").fill("Bea Billing")
    await admin.get_by_label("E-mail").fill("bea@example.com")
    await admin.get_by_label("Initial password (12 characters or more)").fill("short")
    await admin.get_by_label("billing_clerk").check()
    await admin.get_by_role("button", name="Add user").click()
    await expect(admin.locator("#password-problem")).to_contain_text("12 characters")
    await admin.get_by_label("Initial password (12 characters or more)").fill(deployment.password)
    await admin.get_by_role("button", name="Add user").click()
    await expect(admin.locator("table")).to_contain_text("bea@example.com")
    assert await ui.serious_violations(admin) == []
    await ui.screenshot(admin, "users")

    bea_context, bea = await ui.new_page()
    await ui.log_in(bea, deployment.url, "bea@example.com")
    await expect(bea.locator("nav")).to_contain_text("Invoices")
    await admin.get_by_role("button", name="Disable bea@example.com").click()
    await expect(admin.locator("tr", has_text="bea@example.com")).to_contain_text("disabled")
    await bea.goto(deployment.url + "/accounting")
    await bea.wait_for_url("**/login")  # her session ended with the disabling
    await bea.get_by_label("E-mail").fill("bea@example.com")
    await bea.get_by_label("Password").fill(deployment.password)
    await bea.get_by_role("button", name="Log in").click()
    await expect(bea.locator("[role=alert]")).to_contain_text("wrong e-mail or password")
    await bea_context.close()
    await admin_context.close()
