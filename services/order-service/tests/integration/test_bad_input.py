"""Every bad input is a 4xx problem naming the field and the rule, and writes no event.

The cases run against one service per test (setting up a service costs more than a case).
"""

from typing import Any

import pytest

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


def line(sku: str = "W-1", quantity: Any = 1, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "quantity": quantity, **extra}


PLACEMENT_CASES: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("unknown SKU", {"lines": [line("NOPE")]}, 422, "lines[0].sku", "unknown-sku"),
    ("inactive SKU", {"lines": [line(), line("OLD-1")]}, 422, "lines[1].sku", "inactive-sku"),
    ("quantity zero", {"lines": [line(quantity=0)]}, 422, "lines[0].quantity", "quantity-not-positive"),
    ("quantity negative", {"lines": [line(quantity=-3)]}, 422, "lines[0].quantity", "quantity-not-positive"),
    ("quantity fraction", {"lines": [line(quantity=1.5)]}, 422, "lines[0].quantity", "quantity-not-integer"),
    ("quantity text", {"lines": [line(quantity="2")]}, 422, "lines[0].quantity", "quantity-not-integer"),
    ("currency not the product's", {"currency": "USD"}, 422, "currency", "currency-mismatch"),
    ("unknown currency", {"currency": "XXX"}, 422, "currency", "unknown-currency"),
    (
        "discount above the limit",
        {"channel": "sales", "sales_rep_id": "rep-1", "lines": [line(discount_percent="10.5")]},
        422,
        "lines[0].discount_percent",
        "discount-above-limit",
    ),
    (
        "discount without a sales rep",
        {"lines": [line(discount_percent="5")]},
        422,
        "lines[0].discount_percent",
        "discount-not-allowed",
    ),
    ("no lines", {"lines": []}, 422, "lines", "too_short"),
    ("unknown channel", {"channel": "fax"}, 422, "channel", "literal_error"),
    ("unknown policy", {"backorder_policy": "maybe"}, 422, "backorder_policy", "literal_error"),
    (
        "delivery date in the past",
        {"requested_delivery_date": "2025-12-31"},
        422,
        "requested_delivery_date",
        "delivery-date-in-past",
    ),
    ("unknown field", {"coupon": "FREE"}, 422, "coupon", "extra_forbidden"),
    ("bad address", {"shipping_address": {"name": "A"}}, 422, "shipping_address.line1", "missing"),
]


async def test_bad_orders_are_refused_and_write_nothing(shop) -> None:
    await shop.product("W-1", stock=10)
    await shop.product("OLD-1", stock=10)
    assert (await shop.client.post("/products/OLD-1/deactivate")).status_code == 200
    before = await shop.event_count()
    for name, overrides, status, field, rule in PLACEMENT_CASES:
        resp = await shop.client.post("/orders", json=shop.order_body(("W-1", 1), **overrides))
        assert resp.status_code == status, (name, resp.text)
        assert resp.headers["content-type"] == "application/problem+json", name
        problem = resp.json()
        assert (problem["field"], problem["rule"]) == (field, rule), (name, problem)
        assert await shop.event_count() == before, name
    assert (await shop.stock("W-1"))["reserved"] == 0
    assert await shop.scalar("SELECT count(*) FROM orders") == 0


async def test_malformed_json_and_a_reused_idempotency_key(shop) -> None:
    await shop.product("W-1", stock=10)
    malformed = await shop.client.post(
        "/orders", content=b'{"customer_id": ', headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["rule"] == "malformed-json"
    key = {"Idempotency-Key": "order-42"}
    assert (
        await shop.client.post("/orders", json=shop.order_body(("W-1", 1)), headers=key)
    ).status_code == 201
    before = await shop.event_count()
    reused = await shop.client.post("/orders", json=shop.order_body(("W-1", 2)), headers=key)
    assert reused.status_code == 409
    assert reused.headers["content-type"] == "application/problem+json"
    assert (reused.json()["field"], reused.json()["rule"]) == ("Idempotency-Key", "idempotency-key-reused")
    assert await shop.event_count() == before
    assert (await shop.stock("W-1"))["reserved"] == 1


async def test_bad_shipments_and_cancellations_are_refused_and_write_nothing(shop) -> None:
    await shop.product("W-1", stock=10)
    await shop.product("G-2", stock=10)
    order = await shop.place(("W-1", 3), ("G-2", 2))
    oid = order["order_id"]
    assert (await shop.ship(oid, (1, 1))).status_code == 201
    cancelled = await shop.place(("W-1", 1))
    assert (await shop.client.post(f"/orders/{cancelled['order_id']}/cancel")).status_code == 200
    clerk = shop.svc.as_role(Role.ORDER_CLERK)

    def shipment(*lines: tuple[int, Any], **extra: Any) -> dict[str, Any]:
        return {"lines": [{"line_no": n, "quantity": q} for n, q in lines], "carrier": "DHL", **extra}

    cases: list[tuple[str, str, dict[str, Any] | None, int, str, str]] = [
        (
            "ship more than reserved",
            f"/orders/{oid}/shipments",
            shipment((1, 3)),
            409,
            "lines[0].quantity",
            "ship-exceeds-reserved",
        ),
        (
            "ship quantity zero",
            f"/orders/{oid}/shipments",
            shipment((1, 0)),
            422,
            "lines[0].quantity",
            "quantity-not-positive",
        ),
        (
            "ship a fraction",
            f"/orders/{oid}/shipments",
            shipment((1, 0.5)),
            422,
            "lines[0].quantity",
            "quantity-not-integer",
        ),
        (
            "ship an unknown line",
            f"/orders/{oid}/shipments",
            shipment((7, 1)),
            422,
            "lines[0].line_no",
            "unknown-line",
        ),
        (
            "ship without carrier",
            f"/orders/{oid}/shipments",
            {"lines": [{"line_no": 1, "quantity": 1}]},
            422,
            "carrier",
            "missing",
        ),
        ("ship nothing", f"/orders/{oid}/shipments", shipment(), 422, "lines", "too_short"),
        (
            "ship a cancelled order",
            f"/orders/{cancelled['order_id']}/shipments",
            shipment((1, 1)),
            409,
            "order_id",
            "order-cancelled",
        ),
        (
            "cancel a shipped line",
            f"/orders/{oid}/cancel",
            {"line_nos": [1]},
            409,
            "line_nos[0]",
            "line-shipped",
        ),
        (
            "cancel an unknown line",
            f"/orders/{oid}/cancel",
            {"line_nos": [2, 5]},
            422,
            "line_nos[1]",
            "unknown-line",
        ),
        ("cancel no lines", f"/orders/{oid}/cancel", {"line_nos": []}, 422, "line_nos", "no-lines"),
        (
            "cancel a cancelled order",
            f"/orders/{cancelled['order_id']}/cancel",
            None,
            409,
            "order_id",
            "order-cancelled",
        ),
        ("cancel an unknown order", "/orders/nope/cancel", None, 404, "order_id", "unknown-order"),
        ("stale If-Match", f"/orders/{oid}/cancel", {"line_nos": [2]}, 409, "If-Match", "version-mismatch"),
        (
            "deliver before shipped",
            f"/orders/{oid}/shipments/x/delivery",
            {"delivered_at": "2020-01-01T00:00:00Z"},
            404,
            "shipment_id",
            "unknown-shipment",
        ),
    ]
    before = await shop.event_count()
    for name, path, body, status, field, rule in cases:
        headers = {**clerk, "If-Match": 'W/"1"'} if name == "stale If-Match" else clerk
        resp = await shop.client.post(path, json=body, headers=headers)
        assert resp.status_code == status, (name, resp.text)
        assert resp.headers["content-type"] == "application/problem+json", name
        assert (resp.json().get("field"), resp.json()["rule"]) == (field, rule), (name, resp.json())
        assert await shop.event_count() == before, name
    detail = await shop.order(oid)
    assert [(ln["reserved"], ln["shipped"]) for ln in detail["lines"]] == [(2, 1), (2, 0)]
