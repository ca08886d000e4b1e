"""Logging in over real HTTP: session cookies, CSRF on every form, logout ends the session,
lock-out after repeated failures, and the user (not the console) as the services' principal."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def cookie(response: httpx.Response, name: str) -> str:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {name} cookie in {response.headers.get_list('set-cookie')}")


async def log_in(
    client: httpx.AsyncClient, email: str, password: str = "correct horse battery staple"
) -> httpx.Response:
    page = await client.get("/login")
    nonce = cookie(page, "__Host-bo_login")
    match = CSRF.search(page.text)
    assert match
    return await client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": match.group(1)},
        headers={"Cookie": f"__Host-bo_login={nonce}"},
    )


async def test_session_cookie_is_secure_httponly_strict_and_logout_ends_it(deployment) -> None:
    await deployment.add_user("olga@example.com", "Olga Order", Role.ORDER_CLERK)
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        done = await log_in(client, "olga@example.com")
        assert done.status_code == 303, done.text
        header = next(h for h in done.headers.get_list("set-cookie") if h.startswith("__Host-bo_session="))
        assert {"Secure", "HttpOnly", "SameSite=strict"} <= {p.strip() for p in header.split(";")}
        session = {"Cookie": f"__Host-bo_session={cookie(done, '__Host-bo_session')}"}
        home = await client.get("/", headers=session)
        assert home.status_code == 200 and "Olga Order" in home.text
        token = CSRF.search(home.text)
        assert token
        # A form without the token, or with another one, is refused.
        assert (await client.post("/logout", headers=session)).status_code == 403
        assert (
            await client.post("/logout", data={"csrf_token": "forged"}, headers=session)
        ).status_code == 403
        out = await client.post("/logout", data={"csrf_token": token.group(1)}, headers=session)
        assert out.status_code == 303
        reused = await client.get("/", headers=session)
        assert reused.status_code == 303 and reused.headers["location"] == "/login"


async def test_login_without_its_csrf_token_is_refused(deployment) -> None:
    await deployment.add_user("olga@example.com", "Olga Order", Role.ORDER_CLERK)
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        refused = await client.post(
            "/login", data={"email": "olga@example.com", "password": "correct horse battery staple"}
        )
        assert refused.status_code == 403
        assert not [h for h in refused.headers.get_list("set-cookie") if h.startswith("__Host-bo_session")]


async def test_repeated_failures_lock_the_account(deployment) -> None:
    await deployment.add_user("olga@example.com", "Olga Order", Role.ORDER_CLERK)
    async with httpx.AsyncClient(base_url=deployment.url) as client:
        for _ in range(5):
            assert (await log_in(client, "olga@example.com", "wrong password!!")).status_code == 401
        locked = await log_in(client, "olga@example.com")  # the right password, too late
        assert locked.status_code == 423
        assert "locked" in locked.text
        deployment.console.clock.advance(dt.timedelta(minutes=16))
        assert (await log_in(client, "olga@example.com")).status_code == 303


async def test_the_services_see_the_user_as_the_principal(deployment) -> None:
    from console_service.web.core import Console

    user_id = await deployment.add_user("olga@example.com", "Olga Order", Role.ORDER_CLERK)
    console: Console = deployment.console.ctx.extras["console"]
    user = await console.people.user(user_id)
    assert user is not None
    orders = console.services(user).orders
    created = await orders.call(
        "POST",
        "/products",
        json={
            "sku": "CHAIR",
            "name": "Chair",
            "unit_price": {"amount": "50.00", "currency": "EUR"},
            "vat_rate": "0.25",
        },
    )
    assert created["sku"] == "CHAIR"
    trail = await deployment.order.client.get("/audit/streams/product-CHAIR")
    actors = {e.get("actor") for e in trail.json().get("events", [])} if trail.status_code == 200 else set()
    events = await deployment.order.client.get("/audit/events", params={"limit": 10})
    actors |= {e.get("actor") for e in events.json().get("items", [])}
    assert "olga@example.com" in actors
