"""Concurrent orders never oversell: availability is read under the stock row's lock."""

import asyncio

import pytest

pytestmark = pytest.mark.integration


async def test_fifty_concurrent_orders_reserve_exactly_the_twenty_units_in_stock(shop) -> None:
    await shop.product("HOT-1", stock=20)
    await shop.product("COLD-2", stock=1000)
    bodies = [
        # 1-3 units each, half may backorder, half are all-or-nothing; some also take a second
        # SKU so orders lock several stock rows (in SKU order) at once.
        shop.order_body(
            ("COLD-2", 1),
            ("HOT-1", 1 + i % 3),
            backorder_policy="allow" if i % 2 else "reject",
            customer_id=f"c-{i}",
        )
        if i % 5 == 0
        else shop.order_body(
            ("HOT-1", 1 + i % 3), backorder_policy="allow" if i % 2 else "reject", customer_id=f"c-{i}"
        )
        for i in range(50)
    ]
    responses = await asyncio.gather(*(shop.client.post("/orders", json=body) for body in bodies))
    statuses = sorted({r.status_code for r in responses})
    assert set(statuses) <= {201, 422}, [r.text for r in responses if r.status_code not in (201, 422)]
    assert all(r.json()["rule"] == "insufficient-stock" for r in responses if r.status_code == 422)

    # the read models
    hot = await shop.stock("HOT-1")
    assert (hot["on_hand"], hot["reserved"], hot["available"]) == (20, 20, 0)
    assert await shop.scalar("SELECT sum(reserved) FROM order_lines WHERE sku = 'HOT-1'") == 20
    # the events: every unit promised exactly once
    allocated = await shop.scalar(
        "SELECT sum((data->>'quantity')::int) FROM events"
        " WHERE type = 'backoffice.stock.allocated.v1' AND data->>'sku' = 'HOT-1'"
    )
    reserved_on_orders = await shop.scalar(
        "SELECT sum((data->>'quantity')::int) FROM events"
        " WHERE type = 'backoffice.order.stock_reserved.v1' AND data->>'sku' = 'HOT-1'"
    )
    assert allocated == reserved_on_orders == 20
    # every accepted order is whole: reserved + backordered = ordered; rejected ones hold nothing
    accepted = [r.json() for r in responses if r.status_code == 201]
    for order in accepted:
        for line in order["lines"]:
            assert line["reserved"] + line["backordered"] == line["quantity"]
    backordered = sum(ln["backordered"] for o in accepted for ln in o["lines"] if ln["sku"] == "HOT-1")
    assert hot["backordered"] == backordered
    rejected_ids = [r.json()["order_id"] for r in responses if r.status_code == 422]
    assert rejected_ids and not await shop.scalar(
        "SELECT count(*) FROM order_lines WHERE order_id = ANY(:ids)", ids=rejected_ids
    )
    cold = await shop.stock("COLD-2")
    cold_orders = sum(1 for o in accepted if any(ln["sku"] == "COLD-2" for ln in o["lines"]))
    assert cold["reserved"] == cold_orders
    # the stock stream has one version per event and the row follows it
    assert hot["version"] == await shop.scalar("SELECT count(*) FROM events WHERE stream_id = 'stock-HOT-1'")
