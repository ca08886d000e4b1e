"""Stock per SKU: receipts, adjustments with reasons, levels; every change an event."""

from typing import Any

import pytest

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


async def test_receipts_and_adjustments_are_events_and_update_the_level(shop) -> None:
    await shop.product("W-1")
    empty = await shop.client.get("/stock/W-1")
    assert empty.status_code == 200 and empty.headers["ETag"] == 'W/"0"'
    assert empty.json() == {
        "sku": "W-1",
        "on_hand": 0,
        "reserved": 0,
        "available": 0,
        "backordered": 0,
        "version": 0,
    }

    receipt = await shop.client.post("/stock/W-1/receipts", json={"quantity": 10, "reference": "DN-1"})
    assert receipt.status_code == 201 and receipt.headers["ETag"] == 'W/"1"'
    assert receipt.json()["on_hand"] == 10 and receipt.json()["filled"] == []
    damaged = await shop.client.post(
        "/stock/W-1/adjustments",
        json={"delta": -3, "reason": "damaged in transit"},
        headers={"If-Match": 'W/"1"'},
    )
    assert damaged.status_code == 201, damaged.text
    assert (damaged.json()["on_hand"], damaged.json()["available"]) == (7, 7)
    stale = await shop.client.post(
        "/stock/W-1/adjustments", json={"delta": -1, "reason": "count"}, headers={"If-Match": 'W/"1"'}
    )
    assert stale.status_code == 409 and stale.json()["rule"] == "version-mismatch"

    await shop.place(("W-1", 5))
    level = await shop.stock("W-1")
    assert (level["on_hand"], level["reserved"], level["available"], level["version"]) == (7, 5, 2, 3)
    before = await shop.event_count()
    below = await shop.client.post("/stock/W-1/adjustments", json={"delta": -3, "reason": "lost"})
    assert below.status_code == 409 and below.json()["rule"] == "stock-below-reserved"
    assert await shop.event_count() == before

    assert await shop.event_types("stock-W-1") == [
        "backoffice.stock.received.v1",
        "backoffice.stock.adjusted.v2",
        "backoffice.stock.allocated.v1",
    ]
    reason = await shop.scalar(
        "SELECT data->>'reason' FROM events"
        " WHERE stream_id = 'stock-W-1' AND type = 'backoffice.stock.adjusted.v2'"
    )
    assert reason == "damaged in transit"


async def test_a_retried_receipt_is_counted_once(shop) -> None:
    await shop.product("W-1")
    headers = {"Idempotency-Key": "dn-77"}
    first = await shop.client.post("/stock/W-1/receipts", json={"quantity": 4}, headers=headers)
    again = await shop.client.post("/stock/W-1/receipts", json={"quantity": 4}, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert (await shop.stock("W-1"))["on_hand"] == 4
    reused = await shop.client.post("/stock/W-1/receipts", json={"quantity": 5}, headers=headers)
    assert reused.status_code == 409 and reused.json()["rule"] == "idempotency-key-reused"


BAD_CHANGES: list[tuple[str, dict[str, Any], int, str, str]] = [
    ("/stock/W-1/receipts", {"quantity": 0}, 422, "quantity", "quantity-not-positive"),
    ("/stock/W-1/receipts", {"quantity": -2}, 422, "quantity", "quantity-not-positive"),
    ("/stock/W-1/receipts", {"quantity": 1.5}, 422, "quantity", "quantity-not-integer"),
    ("/stock/W-1/receipts", {"quantity": "3"}, 422, "quantity", "quantity-not-integer"),
    ("/stock/NOPE/receipts", {"quantity": 1}, 404, "sku", "unknown-sku"),
    ("/stock/W-1/adjustments", {"delta": 0, "reason": "count"}, 422, "delta", "delta-zero"),
    ("/stock/W-1/adjustments", {"delta": 2.5, "reason": "count"}, 422, "delta", "quantity-not-integer"),
    ("/stock/W-1/adjustments", {"delta": -1}, 422, "reason", "missing"),
    ("/stock/W-1/adjustments", {"delta": -1, "reason": "   "}, 422, "reason", "required"),
    ("/stock/W-1/adjustments", {"delta": -9, "reason": "theft"}, 409, "delta", "stock-below-zero"),
    ("/stock/W-1/receipts", {"quantity": 1, "extra": 1}, 422, "extra", "extra_forbidden"),
]


async def test_bad_stock_changes_are_refused_and_write_nothing(shop) -> None:
    await shop.product("W-1", stock=2)
    before = await shop.event_count()
    for path, body, status, field, rule in BAD_CHANGES:
        resp = await shop.client.post(path, json=body)
        assert resp.status_code == status, (path, body, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule), (path, body)
        assert await shop.event_count() == before, (path, body)
    assert (await shop.stock("W-1"))["on_hand"] == 2


async def test_stock_reads(shop) -> None:
    await shop.product("W-1", stock=2)
    missing = await shop.client.get("/stock/NOPE")
    assert missing.status_code == 404 and missing.json()["rule"] == "unknown-sku"
    assert (await shop.client.get("/stock/W-1", headers=shop.svc.as_role(Role.PARTNER))).status_code == 200
    assert (
        await shop.client.get("/stock/W-1", headers=shop.svc.as_role(Role.PAYABLES_CLERK))
    ).status_code == 403
