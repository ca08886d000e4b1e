"""A record the broker refuses for good is parked with its reason; the rest of the outbox flows.

Real Kafka: the test's orders topic gets a small ``max.message.bytes``, so the broker refuses
the one oversize record (MESSAGE_TOO_LARGE) while accepting the others, including those of the
same stream sent in the same producer batch. A second case lets the producer refuse the record
itself (``max_request_size``).
"""

import asyncio

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import MessageSizeTooLargeError
from event_test_support import envelopes, read_topic
from sqlalchemy import text

from backoffice_events.catalog.orders import StockReceived
from backoffice_events.kafka import reliable_producer
from backoffice_events.outbox import OutboxRelay, outbox_backlog, outbox_parked
from backoffice_events.store import EventStore, driver
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration

TOPIC = "backoffice.orders"
LIMIT = 4096
PROBE = b"probe"


async def _limit_topic(kafka_config) -> int:
    """Lower the topic's ``max.message.bytes``; returns how many probe records the broker still
    took while the change was on its way (the change applies asynchronously)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_config.bootstrap_servers)
    await admin.start()
    try:
        resource = ConfigResource(
            ConfigResourceType.TOPIC, kafka_config.topic(TOPIC), configs={"max.message.bytes": str(LIMIT)}
        )
        await admin.alter_configs([resource])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=kafka_config.bootstrap_servers, acks="all")
    await producer.start()
    accepted = 0
    try:
        for _ in range(100):
            try:
                await producer.send_and_wait(kafka_config.topic(TOPIC), b"p" * (LIMIT * 2), key=PROBE)
            except MessageSizeTooLargeError:
                return accepted
            accepted += 1
            await asyncio.sleep(0.2)
    finally:
        await producer.stop()
    raise AssertionError("the broker never applied max.message.bytes")


async def _append(engine, references: list[str | None]) -> None:
    store = EventStore("test-service")
    async with engine.begin() as conn:
        version = await conn.scalar(text("SELECT coalesce(max(version), 0) FROM event_streams"))
        events = [StockReceived(sku="S1", quantity=n + 1, reference=r) for n, r in enumerate(references)]
        await store.append(conn, "stock-S1", "stock", version or 0, events)


async def _counts(engine) -> tuple[int, int]:
    async with engine.connect() as conn:
        db = await driver(conn)
        return await outbox_backlog(db), await outbox_parked(db)


@pytest.mark.parametrize("refused_by", ["broker", "producer"])
async def test_a_record_refused_for_good_is_parked_and_the_rest_flows(
    engine, kafka_config, refused_by
) -> None:
    if refused_by == "broker":
        probes = await _limit_topic(kafka_config)
        factory = None
    else:
        probes = 0
        factory = lambda: reliable_producer(kafka_config, max_request_size=LIMIT)  # noqa: E731
    huge = "x" * (LIMIT * 4)
    # One stream, one partition: the oversize record sits between healthy ones of its stream.
    await _append(engine, ["a", "b", huge, "c", "d"])
    relay = OutboxRelay(
        engine.url.render_as_string(hide_password=False),
        "parking-test",
        kafka_config,
        producer_factory=factory,
    )
    parked_hook: list[int] = []
    relay.stats.on_park.append(parked_hook.append)
    task = asyncio.create_task(relay.run())
    try:
        await eventually(lambda: _equals(_counts(engine), (0, 1)))
        await _append(engine, ["e"])  # later writes flow too
        records = await read_topic(kafka_config, TOPIC, expect=5 + probes)
        await eventually(lambda: _equals(_counts(engine), (0, 1)))
    finally:
        relay.stop()
        await task
    ours = [r for r in records if r.key != PROBE]
    assert [e.data["reference"] for e in envelopes(ours)] == ["a", "b", "c", "d", "e"]
    assert relay.stats.parked == 1 and parked_hook == [1]
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT e.data->>'quantity' AS quantity, o.park_reason, o.published_at"
                    " FROM outbox o JOIN events e ON e.position = o.event_position"
                    " WHERE o.parked_at IS NOT NULL"
                )
            )
        ).one()
    assert row.quantity == "3" and row.published_at is None
    assert "MessageSizeTooLarge" in row.park_reason


async def _equals(value, expected) -> bool:
    return await value == expected
