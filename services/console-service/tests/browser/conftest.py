"""Headless Debian Chromium driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[4]
SCREENSHOTS = REPO / "docs" / "console"
AXE = REPO / "services/console-service/src/console_service/static/vendor/axe.min.js"


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


class Ui:
    """What the browser tests do with pages: open, log in and out, check axe, screenshot."""

    def __init__(self, browser: Browser, password: str) -> None:
        self.browser = browser
        self.password = password

    async def new_page(self) -> tuple[BrowserContext, Page]:
        context = await self.browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = await context.new_page()
        page.set_default_timeout(15_000)
        return context, page

    async def log_in(self, page: Page, url: str, email: str) -> None:
        await page.goto(url + "/login")
        await page.get_by_label("E-mail").fill(email)
        await page.get_by_label("Password").fill(self.password)
        await page.get_by_role("button", name="Log in").click()
        await page.wait_for_url(url + "/")

    async def log_out(self, page: Page) -> None:
        await page.get_by_role("button", name="Log out").click()
        await page.wait_for_url("**/login")

    async def serious_violations(self, page: Page) -> list[str]:
        """axe-core's serious and critical findings on the page as it stands."""
        await page.evaluate(AXE.read_text())  # evaluate, not a script tag: the page's CSP forbids those
        result = await page.evaluate("async () => (await axe.run(document)).violations")
        return [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result
            if v.get("impact") in ("serious", "critical")
        ]

    async def screenshot(self, page: Page, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest_asyncio.fixture
async def ui(browser: Browser, deployment) -> Ui:
    return Ui(browser, deployment.password)
