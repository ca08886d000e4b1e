"""Placing and reading orders: pricing, reservation, rejection, idempotency, lists, partners, roles."""

import datetime as dt

import pytest

from backoffice_platform.auth import Role
from backoffice_platform.testing import PARTNER_CUSTOMERS

pytestmark = pytest.mark.integration


async def test_place_an_order_reserves_stock_and_reads_back_with_history(shop) -> None:
    await shop.product("W-1", price="12.50", stock=10)
    await shop.product("G-2", price="4.99", stock=1)
    resp = await shop.client.post(
        "/orders",
        json=shop.order_body(("W-1", 3), ("G-2", 2), requested_delivery_date="2026-02-01"),
    )
    assert resp.status_code == 201, resp.text
    order = resp.json()
    assert resp.headers["ETag"] == f'W/"{order["version"]}"'
    assert order["status"] == "placed" and order["channel"] == "web" and order["currency"] == "EUR"
    first, second = order["lines"]
    assert first["unit_price"] == {"amount": "12.50", "currency": "EUR"}
    assert first["net"] == {"amount": "37.50", "currency": "EUR"}
    assert (first["reserved"], first["backordered"]) == (3, 0)
    assert (second["reserved"], second["backordered"]) == (1, 1)
    assert order["placed_at"].startswith("2026-01-15T09:00")

    read = await shop.client.get(f"/orders/{order['order_id']}")
    assert read.status_code == 200 and read.headers["ETag"] == resp.headers["ETag"]
    history = read.json()["history"]
    assert [h["type"] for h in history] == [
        "backoffice.order.placed.v1",
        "backoffice.order.stock_reserved.v1",
        "backoffice.order.stock_reserved.v1",
        "backoffice.order.line_backordered.v1",
    ]
    assert [h["version"] for h in history] == [1, 2, 3, 4]
    assert history[0]["data"]["customer_id"] == "cust-1"
    admin = shop.svc.ctx.keys.authenticate(shop.client.headers["X-API-Key"]).name
    assert {h["actor"] for h in history} == {admin}  # who placed it, on every event it caused

    assert (await shop.stock("W-1"))["reserved"] == 3
    g2 = await shop.stock("G-2")
    assert (g2["on_hand"], g2["reserved"], g2["available"], g2["backordered"]) == (1, 1, 0, 1)
    assert await shop.event_types("stock-G-2") == [
        "backoffice.stock.received.v1",
        "backoffice.stock.allocated.v1",
    ]
    assert (await shop.client.get("/orders/no-such-order")).status_code == 404


async def test_an_order_that_cannot_be_filled_under_policy_reject_is_recorded_and_refused(shop) -> None:
    await shop.product("W-1", stock=2)
    before = await shop.event_count()
    body = shop.order_body(("W-1", 5), backorder_policy="reject")
    resp = await shop.client.post("/orders", json=body, headers={"Idempotency-Key": "rej-1"})
    assert resp.status_code == 422
    assert resp.headers["content-type"] == "application/problem+json"
    problem = resp.json()
    assert problem["rule"] == "insufficient-stock" and problem["field"] == "lines"
    assert problem["short_lines"] == [{"line_no": 1, "sku": "W-1", "requested": 5, "available": 2}]
    # The rejection is a business fact: one OrderRejected, nothing reserved.
    assert await shop.event_count() == before + 1
    assert await shop.event_types(f"order-{problem['order_id']}") == ["backoffice.order.rejected.v1"]
    rejected = await shop.order(problem["order_id"])
    assert rejected["status"] == "rejected" and rejected["short_lines"] == problem["short_lines"]
    assert (await shop.stock("W-1"))["reserved"] == 0
    # A retry with the same key gets the same answer and records nothing.
    again = await shop.client.post("/orders", json=body, headers={"Idempotency-Key": "rej-1"})
    assert again.status_code == 422 and again.json() == problem
    assert again.headers["content-type"] == "application/problem+json"
    assert await shop.event_count() == before + 1


async def test_idempotency_key_replays_the_first_answer(shop) -> None:
    await shop.product("W-1", stock=10)
    body = shop.order_body(("W-1", 2))
    first = await shop.client.post("/orders", json=body, headers={"Idempotency-Key": "k-1"})
    count = await shop.event_count()
    second = await shop.client.post("/orders", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json() and second.headers["ETag"] == first.headers["ETag"]
    assert await shop.event_count() == count
    assert (await shop.stock("W-1"))["reserved"] == 2


async def test_sales_rep_discount_within_the_limit(shop) -> None:
    await shop.product("W-1", price="10.00", stock=10)
    body = shop.order_body(("W-1", 2), channel="sales", sales_rep_id="rep-7")
    body["lines"][0]["discount_percent"] = "10"
    resp = await shop.client.post("/orders", json=body, headers=shop.svc.as_role(Role.SALES_REP))
    assert resp.status_code == 201, resp.text
    line = resp.json()["lines"][0]
    assert line["discount_percent"] == "10" and line["net"] == {"amount": "18.00", "currency": "EUR"}
    assert resp.json()["sales_rep_id"] == "rep-7"


async def test_list_orders_filters_and_pages(shop) -> None:
    await shop.product("W-1", stock=5)
    ids = []
    for customer, channel in [("c-a", "web"), ("c-b", "web"), ("c-a", "sales"), ("c-a", "web")]:
        shop.svc.clock.advance(dt.timedelta(minutes=1))
        ids.append((await shop.place(("W-1", 1), customer_id=customer, channel=channel))["order_id"])
    shop.svc.clock.advance(dt.timedelta(minutes=1))
    rejected = await shop.client.post(
        "/orders", json=shop.order_body(("W-1", 9), customer_id="c-a", backorder_policy="reject")
    )
    assert rejected.status_code == 422

    everything = (await shop.client.get("/orders")).json()
    assert [o["order_id"] for o in everything["items"]][1:] == ids[::-1]  # newest first
    assert everything["next_cursor"] is None

    page1 = (await shop.client.get("/orders", params={"customer_id": "c-a", "limit": 2})).json()
    assert len(page1["items"]) == 2 and page1["next_cursor"]
    page2 = (
        await shop.client.get(
            "/orders", params={"customer_id": "c-a", "limit": 2, "cursor": page1["next_cursor"]}
        )
    ).json()
    seen = [o["order_id"] for o in page1["items"] + page2["items"]]
    assert len(seen) == 4 and len(set(seen)) == 4 and page2["next_cursor"] is None
    assert {o["customer_id"] for o in page1["items"] + page2["items"]} == {"c-a"}

    placed_sales = (await shop.client.get("/orders", params={"channel": "sales"})).json()["items"]
    assert [o["order_id"] for o in placed_sales] == [ids[2]]
    only_rejected = (await shop.client.get("/orders", params={"status": "rejected"})).json()["items"]
    assert [o["order_id"] for o in only_rejected] == [rejected.json()["order_id"]]

    bad_status = await shop.client.get("/orders", params={"status": "lost"})
    assert bad_status.status_code == 422 and bad_status.json()["field"] == "status"
    bad_cursor = await shop.client.get("/orders", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422 and bad_cursor.json()["rule"] == "cursor-invalid"


async def test_partners_see_and_place_orders_for_their_own_customers_only(shop) -> None:
    await shop.product("W-1", stock=5)
    own = PARTNER_CUSTOMERS[0]
    partner = shop.svc.as_role(Role.PARTNER)
    other = await shop.place(("W-1", 1), customer_id="someone-else")

    placed = await shop.client.post(
        "/orders", json=shop.order_body(("W-1", 1), customer_id=own, channel="partner"), headers=partner
    )
    assert placed.status_code == 201, placed.text
    foreign = await shop.client.post(
        "/orders",
        json=shop.order_body(("W-1", 1), customer_id="someone-else", channel="partner"),
        headers=partner,
    )
    assert foreign.status_code == 404 and foreign.json()["field"] == "customer_id"
    posing = await shop.client.post(
        "/orders", json=shop.order_body(("W-1", 1), customer_id=own, channel="sales"), headers=partner
    )
    assert posing.status_code == 422 and posing.json()["rule"] == "channel-not-allowed"

    assert (await shop.client.get(f"/orders/{placed.json()['order_id']}", headers=partner)).status_code == 200
    hidden = await shop.client.get(f"/orders/{other['order_id']}", headers=partner)
    assert hidden.status_code == 404
    listed = (await shop.client.get("/orders", headers=partner)).json()["items"]
    assert [o["order_id"] for o in listed] == [placed.json()["order_id"]]
    snooping = (
        await shop.client.get("/orders", params={"customer_id": "someone-else"}, headers=partner)
    ).json()
    assert snooping["items"] == []


async def test_roles(shop) -> None:
    await shop.product("W-1", stock=5)
    order = await shop.place(("W-1", 2))
    oid = order["order_id"]
    body = shop.order_body(("W-1", 1))
    for role in (Role.ORDER_CLERK, Role.SALES_REP):
        assert (
            await shop.client.post("/orders", json=body, headers=shop.svc.as_role(role))
        ).status_code == 201
    for role in (Role.SUPPORT_AGENT, Role.BILLING_CLERK, Role.AUDITOR, Role.PAYABLES_CLERK):
        assert (
            await shop.client.post("/orders", json=body, headers=shop.svc.as_role(role))
        ).status_code == 403
    for role in (Role.SUPPORT_AGENT, Role.BILLING_CLERK, Role.AUDITOR, Role.SALES_REP, Role.ORDER_CLERK):
        headers = shop.svc.as_role(role)
        assert (await shop.client.get(f"/orders/{oid}", headers=headers)).status_code == 200
        assert (await shop.client.get("/orders", headers=headers)).status_code == 200
        assert (await shop.client.get("/stock/W-1", headers=headers)).status_code == 200
    assert (
        await shop.client.get("/orders", headers=shop.svc.as_role(Role.PAYABLES_CLERK))
    ).status_code == 403
    shipment = {"lines": [{"line_no": 1, "quantity": 1}], "carrier": "DHL"}
    for role in (Role.SALES_REP, Role.SUPPORT_AGENT, Role.AUDITOR, Role.PARTNER):
        headers = shop.svc.as_role(role)
        assert (
            await shop.client.post(f"/orders/{oid}/shipments", json=shipment, headers=headers)
        ).status_code == 403
        assert (await shop.client.post(f"/orders/{oid}/cancel", headers=headers)).status_code == 403
        assert (
            await shop.client.post("/stock/W-1/receipts", json={"quantity": 1}, headers=headers)
        ).status_code == 403
    clerk = shop.svc.as_role(Role.ORDER_CLERK)
    shipped = await shop.client.post(f"/orders/{oid}/shipments", json=shipment, headers=clerk)
    assert shipped.status_code == 201, shipped.text
    sid = shipped.json()["shipment_id"]
    support = shop.svc.as_role(Role.SUPPORT_AGENT)
    assert (
        await shop.client.post(f"/orders/{oid}/shipments/{sid}/delivery", headers=support)
    ).status_code == 403
    assert (
        await shop.client.post(f"/orders/{oid}/shipments/{sid}/delivery", headers=clerk)
    ).status_code == 200
    assert (await shop.client.post(f"/orders/{oid}/cancel", headers=clerk)).status_code == 200
    assert (await shop.client.get("/orders", headers={"X-API-Key": ""})).status_code == 401
