"""Support's reshipment remedy: a free replacement shipment, exactly once."""

import asyncio
import datetime as dt
import re
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from backoffice_events.catalog.orders import QuantityLine
from backoffice_events.catalog.support import ReshipmentRemedyRequested
from backoffice_events.catalog.topics import SUPPORT, dlq_topic
from backoffice_events.envelope import Envelope
from backoffice_events.testing import eventually, publish_events

pytestmark = pytest.mark.integration


def remedy_envelope(
    order_id: str, remedy_id: str, lines: list[QuantityLine], ticket: str = "T-1"
) -> Envelope:
    event = ReshipmentRemedyRequested(
        ticket_id=ticket,
        customer_id="cust-1",
        remedy_id=remedy_id,
        requested_at=dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC),
        order_id=order_id,
        lines=lines,
    )
    return Envelope(
        id=Envelope.new_id(),
        source="support",
        type=event.cloud_type(),
        subject=ticket,
        time=dt.datetime(2026, 1, 15, 10, 0, tzinfo=dt.UTC),
        data=event.model_dump(mode="json"),
        stream_version=3,
        correlation_id=str(uuid.uuid4()),
    )


async def publish(svc, *envelopes: Envelope) -> None:
    await publish_events(svc.ctx.kafka, SUPPORT, envelopes)


def reshipments(svc):
    (consumer,) = [c for c in svc.worker.consumers if c.name == "order-reshipments"]
    return consumer


async def test_a_reshipment_remedy_ships_a_free_replacement_exactly_once(shop) -> None:
    await shop.product("W-1", price="12.50", stock=5)
    await shop.product("G-2", price="4.99", stock=5)
    order = await shop.place(("W-1", 2), ("G-2", 1))
    oid = order["order_id"]
    assert (await shop.ship(oid, (1, 2), (2, 1))).status_code == 201
    lines = [QuantityLine(line_no=1, sku="W-1", quantity=1)]
    request = remedy_envelope(oid, "rem-1", lines)
    # the same event delivered twice, and the same remedy re-published under a new event id
    await publish(shop.svc, request, request, remedy_envelope(oid, "rem-1", lines))
    consumer = reshipments(shop.svc)

    async def all_seen() -> bool:
        return consumer.stats.handled + consumer.stats.skipped_duplicates >= 3

    await eventually(all_seen)
    detail = await shop.order(oid)
    replacements = [s for s in detail["shipments"] if s["replacement_for"] == "rem-1"]
    assert len(replacements) == 1
    replacement = replacements[0]
    assert replacement["shipment_id"] == "reship-rem-1"
    assert replacement["lines"] == [
        {"line_no": 1, "sku": "W-1", "quantity": 1, "unit_price": {"amount": "0.00", "currency": "EUR"}}
    ]
    assert detail["lines"][0]["reshipped"] == 1 and detail["status"] == "fulfilled"
    shipped_events = await shop.scalar(
        "SELECT count(*) FROM events"
        " WHERE type = 'backoffice.order.shipped.v1' AND data->>'replacement_for' = 'rem-1'"
    )
    assert shipped_events == 1
    # the replacement came from available stock, not from a reservation
    w1 = await shop.stock("W-1")
    assert (w1["on_hand"], w1["reserved"], w1["available"]) == (2, 0, 2)
    issued = await shop.scalar(
        "SELECT data FROM events"
        " WHERE type = 'backoffice.stock.issued.v1' AND data->>'shipment_id' = 'reship-rem-1'"
    )
    assert issued["from_reserved"] is False and issued["quantity"] == 1
    # the replacement shipment was caused by the support event
    causation = await shop.scalar(
        "SELECT causation_id FROM events WHERE type = 'backoffice.order.shipped.v1'"
        " AND data->>'replacement_for' = 'rem-1'"
    )
    assert causation == request.id
    assert consumer.stats.dead_lettered == 0


async def test_remedies_that_can_never_be_met_are_dead_lettered_without_effect(shop) -> None:
    await shop.product("W-1", stock=5)
    order = await shop.place(("W-1", 2))
    oid = order["order_id"]
    before = await shop.event_count()
    await publish(
        shop.svc,
        remedy_envelope("no-such-order", "rem-a", [QuantityLine(line_no=1, sku="W-1", quantity=1)]),
        # nothing shipped yet: nothing to replace
        remedy_envelope(oid, "rem-b", [QuantityLine(line_no=1, sku="W-1", quantity=1)]),
        remedy_envelope(oid, "rem-c", [QuantityLine(line_no=4, sku="W-1", quantity=1)]),
        remedy_envelope(oid, "rem-d", [QuantityLine(line_no=1, sku="G-9", quantity=1)]),
    )
    consumer = reshipments(shop.svc)

    async def all_dead() -> bool:
        return consumer.stats.dead_lettered >= 4

    await eventually(all_dead)
    assert await shop.event_count() == before
    assert await shop.scalar("SELECT count(*) FROM processed_events") == 0
    reasons = {
        re.search(r"remedy (\S+) for", reason).group(1): reason  # type: ignore[union-attr]
        for reason in await dead_letter_reasons(shop.svc, 4)
    }
    assert sorted(reasons) == ["rem-a", "rem-b", "rem-c", "rem-d"]
    assert "unknown-order" in reasons["rem-a"] and "line-not-shipped" in reasons["rem-b"]
    assert "unknown-line" in reasons["rem-c"] and "sku-mismatch" in reasons["rem-d"]


async def dead_letter_reasons(svc, count: int) -> list[str]:
    consumer = AIOKafkaConsumer(
        svc.ctx.kafka.topic(dlq_topic(SUPPORT)),
        bootstrap_servers=svc.ctx.kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    reasons: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(reasons) < count:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    reasons += [dict(r.headers)["dlq_reason"].decode() for r in records]
    finally:
        await consumer.stop()
    return reasons
