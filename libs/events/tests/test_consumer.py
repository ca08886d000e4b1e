"""Consumer runtime against the real Kafka and PostgreSQL: dedupe, dead letters, retries."""

import asyncio
import uuid

import pytest
from sqlalchemy import text

from backoffice_events.catalog.orders import StockAdjusted, StockReceived
from backoffice_events.consumer import ConsumedEvent, EventConsumer, PermanentError
from backoffice_events.dlq import read_dead_letters, replay_dead_letters
from backoffice_events.envelope import Envelope
from backoffice_events.kafka import reliable_producer
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration

TOPIC = "backoffice.orders"


def good(sku: str, quantity: int, subject: str = "stock-1") -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source="test",
        type="backoffice.stock.received.v1",
        subject=subject,
        time=__import__("datetime").datetime.now(__import__("datetime").UTC),
        data=StockReceived(sku=sku, quantity=quantity).model_dump(mode="json"),
        stream_version=1,
        correlation_id="c",
    )


async def produce(kafka_config, items) -> None:
    producer = reliable_producer(kafka_config)
    await producer.start()
    try:
        for item in items:
            if isinstance(item, Envelope):
                await producer.send_and_wait(
                    kafka_config.topic(TOPIC),
                    item.kafka_value(),
                    key=item.kafka_key(),
                    headers=item.kafka_headers(),
                )
            else:
                key, value, headers = item
                await producer.send_and_wait(kafka_config.topic(TOPIC), value, key=key, headers=headers)
    finally:
        await producer.stop()


async def _effects_table(engine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effects (event_id text, sku text, quantity int)"))


async def count_effects(engine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM effects"))).scalar() or 0)


async def record(conn, event: ConsumedEvent) -> None:
    if event.event.sku == "POISON":  # type: ignore[attr-defined]
        raise PermanentError("sku POISON can never be stocked")
    await conn.execute(
        text("INSERT INTO effects VALUES (:i, :s, :q)"),
        {"i": event.envelope.id, "s": event.event.sku, "q": event.event.quantity},
    )  # type: ignore[attr-defined]


def consumer_for(engine, kafka_config, **kw) -> EventConsumer:
    return EventConsumer(
        name="test-consumer",
        engine=engine,
        kafka=kafka_config,
        topics=[TOPIC],
        handlers={StockReceived: record},
        retry_backoff=0.01,
        **kw,
    )


async def test_poison_records_are_dead_lettered_and_the_consumer_moves_on(engine, kafka_config) -> None:
    await _effects_table(engine)
    first, last = good("A", 1), good("B", 2)
    bad_headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"x1"),
        ("ce_source", b"t"),
        ("ce_type", b"backoffice.stock.received.v1"),
    ]
    await produce(
        kafka_config,
        [
            first,
            (b"stock-1", b"this is not json", bad_headers),
            (b"stock-1", b'{"sku": "A"}', []),  # no CloudEvents attributes
            # A type this consumer has no handler for: skipped undecoded (test_type_filter.py).
            (b"stock-1", b"{}", [*bad_headers[:3], ("ce_type", b"backoffice.stock.teleported.v1")]),
            (b"stock-1", b'{"sku": "A", "quantity": -3}', bad_headers),  # fails its schema
            good("POISON", 1),  # handler refuses it for good
            last,
        ],
    )
    consumer = consumer_for(engine, kafka_config)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _eq(count_effects(engine), 2))
        letters = await eventually(lambda: _at_least(read_dead_letters(kafka_config, TOPIC), 4))
    finally:
        consumer.stop()
        await task
    reasons = [d.reason for d in letters]
    assert any("not JSON" in r for r in reasons)
    assert any("missing attribute" in r for r in reasons)
    assert not any("teleported" in r for r in reasons)
    assert any("quantity" in r for r in reasons)
    assert any("POISON" in r for r in reasons)
    assert all(
        d.original_topic == kafka_config.topic(TOPIC) and d.original_offset is not None for d in letters
    )
    assert consumer.stats.dead_lettered == 4


async def test_redelivered_event_has_no_second_effect(engine, kafka_config) -> None:
    await _effects_table(engine)
    event = good("A", 5)
    await produce(kafka_config, [event, event, good("B", 1), event])
    consumer = consumer_for(engine, kafka_config)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _eq(count_effects(engine), 2))
        await asyncio.sleep(0.5)
    finally:
        consumer.stop()
        await task
    assert await count_effects(engine) == 2
    assert consumer.stats.skipped_duplicates == 2


async def test_dead_letters_can_be_replayed(engine, kafka_config) -> None:
    await _effects_table(engine)
    failing = {"on": True}

    async def flaky(conn, event: ConsumedEvent) -> None:
        if failing["on"]:
            raise ValueError("downstream rule not met yet")
        await record(conn, event)

    consumer = EventConsumer(
        name="replay-consumer",
        engine=engine,
        kafka=kafka_config,
        topics=[TOPIC],
        handlers={StockReceived: flaky},
        retry_backoff=0.01,
        max_attempts=2,
    )
    await produce(kafka_config, [good("A", 1)])
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _at_least(read_dead_letters(kafka_config, TOPIC), 1))
        failing["on"] = False
        assert await replay_dead_letters(kafka_config, TOPIC) == 1
        await eventually(lambda: _eq(count_effects(engine), 1))
    finally:
        consumer.stop()
        await task


async def test_unhandled_event_types_are_skipped_not_dead_lettered(engine, kafka_config) -> None:
    await _effects_table(engine)
    adjusted = Envelope(
        id=str(uuid.uuid4()),
        source="t",
        type="backoffice.stock.adjusted.v2",
        subject="s",
        time=good("A", 1).time,
        data=StockAdjusted(sku="A", delta=1, reason="count").model_dump(),
        stream_version=2,
        correlation_id="c",
    )
    await produce(kafka_config, [adjusted, good("A", 1)])
    consumer = consumer_for(engine, kafka_config)
    task = asyncio.create_task(consumer.run())
    try:
        await eventually(lambda: _eq(count_effects(engine), 1))
    finally:
        consumer.stop()
        await task
    assert consumer.stats.dead_lettered == 0


async def _eq(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def _at_least(awaitable, n):
    value = await awaitable
    return value if len(value) >= n else None
