"""Consumers filter on the CloudEvents type before decoding (real Kafka and PostgreSQL): a type
a consumer has no handler for is skipped undecoded, not dead-lettered; a consumer that takes
every type dead-letters what it cannot decode and hands each dead letter to its hook."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection
from test_consumer import TOPIC, _at_least, _effects_table, count_effects, good, produce

from backoffice_events.catalog import CATALOG, Catalog, EventModel
from backoffice_events.catalog.orders import StockAdjusted, StockReceived
from backoffice_events.consumer import ConsumedEvent, DeadLettered, EventConsumer
from backoffice_events.dlq import read_dead_letters
from backoffice_events.envelope import Envelope
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration


class DecodeLog(Catalog):
    """The real catalog, noting every type it is asked to decode."""

    def __init__(self) -> None:
        super().__init__()
        self.decoded: list[str] = []

    def decode(self, cloud_type: str, data: Any) -> EventModel:
        self.decoded.append(cloud_type)
        return CATALOG.decode(cloud_type, data)


def envelope(cloud_type: str, data: dict[str, Any]) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source="test",
        type=cloud_type,
        subject="stock-1",
        time=dt.datetime.now(dt.UTC),
        data=data,
        stream_version=1,
        correlation_id="type-filter",
    )


async def record(conn: AsyncConnection, event: ConsumedEvent) -> None:
    assert isinstance(event.event, StockReceived)
    await conn.execute(
        text("INSERT INTO effects VALUES (:id, :sku, :q)"),
        {"id": event.envelope.id, "sku": event.event.sku, "q": event.event.quantity},
    )


async def test_a_type_without_a_handler_is_skipped_undecoded_not_dead_lettered(engine, kafka_config) -> None:
    await _effects_table(engine)
    late_fee = envelope("backoffice.stock.late_fee_charged.v1", {"anything": "at all"})  # unknown type
    adjusted = envelope(StockAdjusted.cloud_type(), {"not": "even valid"})  # known type, no handler
    broken = envelope(StockReceived.cloud_type(), {"sku": "A", "quantity": -1})  # handled, invalid
    await produce(kafka_config, [good("A", 1), late_fee, adjusted, broken, good("B", 2)])
    catalog = DecodeLog()
    consumer = EventConsumer(
        name="filtering",
        engine=engine,
        kafka=kafka_config,
        topics=[TOPIC],
        handlers={StockReceived: record},
        catalog=catalog,
        retry_backoff=0.01,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _eq(count_effects(engine), 2))
        letters = await eventually(lambda: _at_least(read_dead_letters(kafka_config, TOPIC), 1))
    finally:
        consumer.stop()
        await task
    assert [d.event_id for d in letters] == [broken.id]  # only the handled type that fails its schema
    assert consumer.stats.dead_lettered == 1
    assert set(catalog.decoded) == {StockReceived.cloud_type()}  # the others were never decoded


async def test_a_consumer_taking_every_type_dead_letters_an_unknown_one_and_tells_its_hook(
    engine, kafka_config
) -> None:
    await _effects_table(engine)
    hooked: list[DeadLettered] = []

    async def batch(conn: AsyncConnection, events: Sequence[ConsumedEvent]) -> None:
        for event in events:
            await record(conn, event)

    async def on_dead_letter(conn: AsyncConnection, letters: Sequence[DeadLettered]) -> None:
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1  # inside a transaction of its own
        hooked.extend(letters)

    late_fee = envelope("backoffice.stock.late_fee_charged.v1", {"fee": "5.00"})
    await produce(kafka_config, [good("A", 1), late_fee, good("B", 2)])
    consumer = EventConsumer(
        name="taking-all",
        engine=engine,
        kafka=kafka_config,
        topics=[TOPIC],
        batch_handler=batch,
        on_dead_letter=on_dead_letter,
        retry_backoff=0.01,
    )
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _eq(count_effects(engine), 2))
        letters = await eventually(lambda: _at_least(read_dead_letters(kafka_config, TOPIC), 1))
    finally:
        consumer.stop()
        await task
    assert [d.event_id for d in letters] == [late_fee.id]
    assert [(h.event_id, h.event_type, h.topic) for h in hooked] == [
        (late_fee.id, "backoffice.stock.late_fee_charged.v1", kafka_config.topic(TOPIC))
    ]
    assert "unknown event type" in hooked[0].reason


async def _eq(awaitable: Any, expected: int) -> bool:
    return bool((await awaitable) == expected)
