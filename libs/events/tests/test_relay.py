"""Outbox relay against the real PostgreSQL and Kafka."""

import asyncio
from collections import defaultdict

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary_event
from event_test_support import assert_same_attributes, envelopes, read_topic
from sqlalchemy import text

from backoffice_events.catalog.orders import StockReceived
from backoffice_events.outbox import OutboxRelay
from backoffice_events.store import EventStore
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration


async def _append_many(engine, streams: int, per_stream: int) -> None:
    store = EventStore("test-service")

    async def one_stream(s: int) -> None:
        for v in range(per_stream):
            async with engine.begin() as conn:
                await store.append(
                    conn, f"stock-{s}", "stock", v, [StockReceived(sku=f"S{s}", quantity=v + 1)]
                )

    await asyncio.gather(*(one_stream(s) for s in range(streams)))


async def test_relay_preserves_per_stream_order_through_kafka(engine, kafka_config) -> None:
    await _append_many(engine, streams=8, per_stream=25)
    relay = OutboxRelay(
        str(engine.url.render_as_string(hide_password=False)), "order-test", kafka_config, batch_size=37
    )
    task = asyncio.create_task(relay.run())
    try:
        records = await read_topic(kafka_config, "backoffice.orders", expect=200)
    finally:
        relay.stop()
        await task
    assert len(records) == 200
    by_stream: dict[str, list[int]] = defaultdict(list)
    partitions: dict[str, set[int]] = defaultdict(set)
    for rec, env in zip(records, envelopes(records), strict=True):
        by_stream[env.subject].append(env.stream_version)
        partitions[env.subject].add(rec.partition)
        assert rec.key == env.subject.encode()
    assert all(versions == list(range(1, 26)) for versions in by_stream.values())
    assert all(len(p) == 1 for p in partitions.values())  # keyed: one stream, one partition
    async with engine.connect() as conn:
        assert (
            await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))
        ).scalar() == 0


async def test_cloudevents_sdk_reads_records_from_kafka(engine, kafka_config) -> None:
    store = EventStore("order-service")
    async with engine.begin() as conn:
        [recorded] = await store.append(conn, "stock-X", "stock", 0, [StockReceived(sku="X", quantity=4)])
    relay = OutboxRelay(engine.url.render_as_string(hide_password=False), "order-test", kafka_config)
    task = asyncio.create_task(relay.run())
    try:
        [record] = await read_topic(kafka_config, "backoffice.orders", expect=1)
    finally:
        relay.stop()
        await task
    event = from_binary_event(KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value))
    assert_same_attributes(event, recorded.envelope)


async def test_only_one_relay_is_active_and_a_standby_takes_over(engine, kafka_config) -> None:
    url = engine.url.render_as_string(hide_password=False)
    first = OutboxRelay(url, "order-test", kafka_config)
    second = OutboxRelay(url, "order-test", kafka_config)
    t1 = asyncio.create_task(first.run())
    await eventually(lambda: _true(first.stats.active))
    t2 = asyncio.create_task(second.run())
    await asyncio.sleep(1.0)
    assert first.stats.active and not second.stats.active
    first.stop()
    await t1
    await eventually(lambda: _true(second.stats.active), timeout=10)
    await _append_many(engine, streams=1, per_stream=3)
    await eventually(lambda: _true(second.stats.published == 3))
    second.stop()
    await t2


async def _true(value: bool) -> bool:
    return value
