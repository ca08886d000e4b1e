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


async def test_the_stock_list_pages_searches_and_filters(shop) -> None:
    for sku, stock in (("BOLT-1", 5), ("BOLT-2", 0), ("NUT_1", 3), ("WASHER-1", 2)):
        await shop.product(sku, stock=stock)
    await shop.place(("BOLT-1", 5), ("BOLT-2", 2), backorder_policy="allow")

    async def skus(**params: Any) -> list[str]:
        found: list[str] = []
        cursor = None
        while True:
            page = await shop.client.get(
                "/stock", params={**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
            )
            assert page.status_code == 200, page.text
            body = page.json()
            assert len(body["items"]) <= 2
            found += [item["sku"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return found

    assert await skus() == ["BOLT-1", "BOLT-2", "NUT_1", "WASHER-1"]
    first = (await shop.client.get("/stock", params={"q": "bolt-1"})).json()["items"]
    assert [(i["sku"], i["on_hand"], i["reserved"], i["available"], i["backordered"]) for i in first] == [
        ("BOLT-1", 5, 5, 0, 0)
    ]
    assert await skus(q="_") == ["NUT_1"]  # matched literally, not as a wildcard
    assert await skus(having="available") == ["NUT_1", "WASHER-1"]
    assert await skus(having="out_of_stock") == ["BOLT-1", "BOLT-2"]
    assert await skus(having="backordered") == ["BOLT-2"]
    bad = await shop.client.get("/stock", params={"having": "plenty"})
    assert bad.status_code == 422
    partner = await shop.client.get("/stock", headers=shop.svc.as_role(Role.PARTNER))
    assert partner.status_code == 200
    refused = await shop.client.get("/stock", headers=shop.svc.as_role(Role.PAYABLES_CLERK))
    assert refused.status_code == 403
