"""Backorders filled oldest first, partial and final shipments, delivery, cancellation."""

import datetime as dt

import pytest

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


async def test_backorders_are_filled_oldest_order_first_when_stock_is_received(shop) -> None:
    await shop.product("W-1", stock=1)
    oldest = await shop.place(("W-1", 3))  # 1 reserved, 2 backordered
    shop.svc.clock.advance(dt.timedelta(minutes=5))
    middle = await shop.place(("W-1", 2))
    shop.svc.clock.advance(dt.timedelta(minutes=5))
    youngest = await shop.place(("W-1", 4))
    assert (await shop.stock("W-1"))["backordered"] == 8

    receipt = await shop.receive("W-1", 3, reference="delivery-note-1")
    # 2 complete the oldest, the 1 left goes to the next in line (partial), the youngest waits.
    assert receipt["filled"] == [
        {"order_id": oldest["order_id"], "line_no": 1, "quantity": 2},
        {"order_id": middle["order_id"], "line_no": 1, "quantity": 1},
    ]
    assert (receipt["on_hand"], receipt["reserved"], receipt["available"], receipt["backordered"]) == (
        4,
        4,
        0,
        5,
    )
    assert (await shop.order(oldest["order_id"]))["lines"][0]["backordered"] == 0
    assert (await shop.order(middle["order_id"]))["lines"][0]["backordered"] == 1
    assert (await shop.order(youngest["order_id"]))["lines"][0]["reserved"] == 0
    assert (await shop.event_types(f"order-{middle['order_id']}"))[-1] == "backoffice.order.stock_reserved.v1"
    rows = await shop.scalar(
        "SELECT json_agg(json_build_array(order_id, quantity) ORDER BY placed_at) FROM backorders"
    )
    assert rows == [[middle["order_id"], 1], [youngest["order_id"], 4]]

    # More than enough: everyone is served and the rest stays available.
    receipt = await shop.receive("W-1", 10)
    assert [f["order_id"] for f in receipt["filled"]] == [middle["order_id"], youngest["order_id"]]
    assert (receipt["reserved"], receipt["available"], receipt["backordered"]) == (9, 5, 0)
    # a found unit (positive adjustment) is available at once, nobody waits
    adjusted = await shop.client.post(
        "/stock/W-1/adjustments", json={"delta": 1, "reason": "found in aisle 3"}
    )
    assert adjusted.status_code == 201 and adjusted.json()["available"] == 6


async def test_partial_shipment_then_the_rest_fulfils_the_order_and_delivery_completes_it(shop) -> None:
    await shop.product("W-1", price="12.50", stock=10)
    await shop.product("G-2", price="4.99", stock=10)
    order = await shop.place(("W-1", 3), ("G-2", 2))
    oid = order["order_id"]

    first = await shop.ship(oid, (1, 2), tracking_number="TRK-1")
    assert first.status_code == 201, first.text
    assert first.json()["order"]["status"] == "partially_shipped"
    shipment_one = first.json()["shipment_id"]
    w1 = await shop.stock("W-1")
    assert (w1["on_hand"], w1["reserved"]) == (8, 1)

    stale = await shop.ship(oid, (1, 1), (2, 2))
    assert stale.status_code == 201  # no If-Match: last writer needs no version
    rest = stale.json()
    assert rest["order"]["status"] == "fulfilled"
    types = await shop.event_types(f"order-{oid}")
    assert types[-3:] == [
        "backoffice.order.shipped.v1",
        "backoffice.order.shipped.v1",
        "backoffice.order.fulfilled.v1",
    ]
    shipped = [h["data"] for h in rest["order"]["history"] if h["type"] == "backoffice.order.shipped.v1"]
    assert shipped[1]["lines"] == [
        {
            "line_no": 1,
            "sku": "W-1",
            "quantity": 1,
            "unit_price": {"amount": "12.50", "currency": "EUR"},
            "discount_percent": "0",
            "vat_rate": "0.21",
        },
        {
            "line_no": 2,
            "sku": "G-2",
            "quantity": 2,
            "unit_price": {"amount": "4.99", "currency": "EUR"},
            "discount_percent": "0",
            "vat_rate": "0.21",
        },
    ]
    assert (await shop.stock("W-1"))["on_hand"] == 7 and (await shop.stock("G-2"))["reserved"] == 0
    issued = await shop.scalar(
        "SELECT sum((data->>'quantity')::int) FROM events WHERE type = 'backoffice.stock.issued.v1'"
    )
    assert issued == 5

    version = rest["order"]["version"]
    stale_delivery = await shop.client.post(
        f"/orders/{oid}/shipments/{shipment_one}/delivery", headers={"If-Match": f'W/"{version - 1}"'}
    )
    assert stale_delivery.status_code == 409 and stale_delivery.json()["rule"] == "version-mismatch"
    shop.svc.clock.advance(dt.timedelta(days=2))
    delivered = await shop.client.post(
        f"/orders/{oid}/shipments/{shipment_one}/delivery", headers={"If-Match": f'W/"{version}"'}
    )
    assert delivered.status_code == 200, delivered.text
    assert delivered.headers["ETag"] == f'W/"{version + 1}"'
    assert delivered.json()["status"] == "fulfilled"  # one shipment still on its way
    again = await shop.client.post(f"/orders/{oid}/shipments/{shipment_one}/delivery")
    assert again.status_code == 409 and again.json()["rule"] == "already-delivered"
    last = await shop.client.post(
        f"/orders/{oid}/shipments/{rest['shipment_id']}/delivery",
        json={"delivered_at": "2026-01-18T10:00:00Z"},
    )
    assert last.json()["status"] == "delivered"
    assert {s["delivered_at"] for s in last.json()["shipments"]} == {
        "2026-01-17T09:00:00Z",
        "2026-01-18T10:00:00Z",
    }
    assert await shop.scalar("SELECT count(*) FROM shipments WHERE delivered_at IS NOT NULL") == 2
    unknown = await shop.client.post(f"/orders/{oid}/shipments/nope/delivery")
    assert unknown.status_code == 404 and unknown.json()["rule"] == "unknown-shipment"


async def test_shipment_ids_and_idempotent_shipments(shop) -> None:
    await shop.product("W-1", stock=10)
    one = await shop.place(("W-1", 4))
    two = await shop.place(("W-1", 4))
    key = {"Idempotency-Key": "ship-1"}
    body = {"shipment_id": "S-1", "lines": [{"line_no": 1, "quantity": 1}], "carrier": "UPS"}
    first = await shop.client.post(f"/orders/{one['order_id']}/shipments", json=body, headers=key)
    replay = await shop.client.post(f"/orders/{one['order_id']}/shipments", json=body, headers=key)
    assert first.status_code == replay.status_code == 201 and replay.json() == first.json()
    assert (await shop.stock("W-1"))["on_hand"] == 9
    taken = await shop.client.post(f"/orders/{two['order_id']}/shipments", json=body)
    assert taken.status_code == 409 and taken.json()["rule"] == "shipment-exists"
    stale = await shop.client.post(
        f"/orders/{one['order_id']}/shipments",
        json={**body, "shipment_id": "S-2"},
        headers={"If-Match": 'W/"1"'},
    )
    assert stale.status_code == 409 and stale.json()["field"] == "If-Match"
    missing = await shop.client.post("/orders/nope/shipments", json={**body, "shipment_id": "S-3"})
    assert missing.status_code == 404 and missing.json()["rule"] == "unknown-order"


async def test_cancellation_releases_stock_to_the_next_waiting_order(shop) -> None:
    await shop.product("W-1", stock=5)
    await shop.product("G-2", stock=5)
    first = await shop.place(("W-1", 4), ("G-2", 1))
    shop.svc.clock.advance(dt.timedelta(minutes=1))
    waiting = await shop.place(("W-1", 3))  # 1 reserved, 2 backordered
    assert (await shop.stock("W-1"))["available"] == 0

    cancel = await shop.client.post(
        f"/orders/{first['order_id']}/cancel",
        json={"reason": "customer changed their mind"},
        headers={"If-Match": f'W/"{first["version"]}"'},
    )
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["status"] == "cancelled"
    assert all(ln["cancelled"] == ln["quantity"] and ln["reserved"] == 0 for ln in cancel.json()["lines"])
    # 4 released: 2 fill the waiting order, 2 are free again
    w1 = await shop.stock("W-1")
    assert (w1["reserved"], w1["available"], w1["backordered"]) == (3, 2, 0)
    assert (await shop.stock("G-2"))["available"] == 5
    assert (await shop.order(waiting["order_id"]))["lines"][0]["reserved"] == 3
    released = await shop.scalar(
        "SELECT sum((data->>'quantity')::int) FROM events"
        " WHERE type = 'backoffice.stock.allocated.v1' AND (data->>'quantity')::int < 0"
    )
    assert released == -5

    again = await shop.client.post(f"/orders/{first['order_id']}/cancel")
    assert again.status_code == 409 and again.json()["rule"] == "order-cancelled"


async def test_cancelling_single_lines(shop) -> None:
    await shop.product("W-1", stock=5)
    await shop.product("G-2", stock=5)
    order = await shop.place(("W-1", 2), ("G-2", 3), ("W-1", 1))
    oid = order["order_id"]
    assert (await shop.ship(oid, (1, 1))).status_code == 201
    cancel = await shop.client.post(
        f"/orders/{oid}/cancel",
        json={"line_nos": [2], "reason": "out of fashion"},
        headers=shop.svc.as_role(Role.ORDER_CLERK),
    )
    assert cancel.status_code == 200, cancel.text
    lines = cancel.json()["lines"]
    assert [(ln["reserved"], ln["shipped"], ln["cancelled"]) for ln in lines] == [
        (1, 1, 0),
        (0, 0, 3),
        (1, 0, 0),
    ]
    assert cancel.json()["status"] == "partially_shipped"
    assert (await shop.stock("G-2"))["available"] == 5
    unknown_line = await shop.client.post(f"/orders/{oid}/cancel", json={"line_nos": [9]})
    assert unknown_line.status_code == 422 and unknown_line.json()["rule"] == "unknown-line"
    # cancelling the rest: line 1's unshipped unit and line 3; what shipped is the whole order now
    rest = await shop.client.post(f"/orders/{oid}/cancel")
    assert rest.status_code == 200 and rest.json()["status"] == "fulfilled"
    w1 = await shop.stock("W-1")
    assert (w1["on_hand"], w1["reserved"], w1["available"]) == (4, 0, 4)
