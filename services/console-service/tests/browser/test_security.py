"""The console's guards, seen from a real browser: a page the role may not open answers 403,
a form without its CSRF token is refused, a logged-out session cannot be reused."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


async def test_guards(deployment, ui) -> None:
    await deployment.add_user("olga@example.com", "Olga Order", Role.ORDER_CLERK)
    context, page = await ui.new_page()
    await page.goto(deployment.url + "/orders")
    await page.wait_for_url("**/login")  # not logged in: to the login page
    assert await ui.serious_violations(page) == []
    await ui.screenshot(page, "login")
    await ui.log_in(page, deployment.url, "olga@example.com")

    # A role that may not open a page gets a 403 page, in the browser's own navigation.
    for path in ("/accounting", "/accounting/bills", "/service", "/admin/users"):
        answer = await page.goto(deployment.url + path)
        assert answer is not None and answer.status == 403, path
        await expect(page.locator("h1")).to_have_text("Not for your role")
    assert await ui.serious_violations(page) == []

    # A form stripped of its CSRF token is refused, and nothing is changed.
    await page.goto(deployment.url + "/account/password")
    await page.get_by_label("Current password").fill("correct horse battery staple")
    await page.get_by_label("New password (12 characters or more)").fill("a whole new passphrase")
    await page.evaluate("document.querySelector('main input[name=csrf_token]').remove()")
    await page.get_by_role("button", name="Change password").click()
    await expect(page.locator("h1")).to_have_text("Form refused")
    refused = await page.goto(deployment.url + "/account/password")
    assert refused is not None and refused.status == 200

    # Logging out ends the session on the server: the same cookie, replayed, opens nothing.
    cookies = await context.cookies()
    session = [c for c in cookies if c["name"] == "__Host-bo_session"]
    assert session and session[0]["secure"] and session[0]["httpOnly"] and session[0]["sameSite"] == "Strict"
    await ui.log_out(page)
    replay, again = await ui.new_page()
    await replay.add_cookies(session)  # type: ignore[arg-type]
    await again.goto(deployment.url + "/orders")
    await again.wait_for_url("**/login")
    await replay.close()
    await context.close()
