"""A consumer that stops while the database blinks gives its batch up uncommitted: no healthy
event is dead-lettered, and the batch is handled after the restart."""

import asyncio

import pytest
from sqlalchemy import text
from test_consumer import TOPIC, _effects_table, count_effects, good, produce, record

from backoffice_events.catalog.orders import StockReceived
from backoffice_events.consumer import ConsumedEvent, EventConsumer
from backoffice_events.dlq import read_dead_letters
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration


async def test_shutdown_during_a_transient_database_error_dead_letters_nothing(engine, kafka_config) -> None:
    await _effects_table(engine)
    await produce(kafka_config, [good("A", 1), good("B", 2), good("C", 3)])
    blinking = True
    calls = 0

    async def handler(conn, event: ConsumedEvent) -> None:
        nonlocal calls
        calls += 1
        if blinking:
            # SIGTERM arrives while PostgreSQL drops the connection under the transaction: a real
            # "connection lost" (the server ends this session), which is a transient error.
            first.stop()
            await conn.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        await record(conn, event)

    def consumer() -> EventConsumer:
        return EventConsumer(
            name="shutdown-consumer",
            engine=engine,
            kafka=kafka_config,
            topics=[TOPIC],
            handlers={StockReceived: handler},
            retry_backoff=0.01,
        )

    first = consumer()
    await asyncio.wait_for(first.run(), 60)  # returns once it has given the batch up
    assert calls >= 1
    assert first.stats.dead_lettered == 0
    assert await count_effects(engine) == 0

    blinking = False
    second = consumer()  # the same consumer group: reads from the last committed offset
    task = asyncio.create_task(second.run())
    try:
        await eventually(lambda: _equals(count_effects(engine), 3))
    finally:
        second.stop()
        await task
    assert second.stats.dead_lettered == 0
    assert await read_dead_letters(kafka_config, TOPIC) == []


async def _equals(value, expected) -> bool:
    return await value == expected
