"""Small helpers shared by the events library's integration tests."""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer

from backoffice_events.envelope import Envelope
from backoffice_events.kafka import KafkaConfig


async def read_topic(config: KafkaConfig, logical: str, expect: int, timeout_ms: int = 20000) -> list[Any]:
    """Read a topic from the beginning until ``expect`` records arrived (or time ran out)."""
    topic = config.topic(logical)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=config.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[Any] = []
    try:
        import time

        deadline = time.monotonic() + timeout_ms / 1000
        while len(records) < expect and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for recs in batch.values():
                records.extend(recs)
    finally:
        await consumer.stop()
    return records


def envelopes(records: list[Any]) -> list[Envelope]:
    return [Envelope.from_kafka(r.headers, r.value) for r in records]


def assert_same_attributes(event, env: Envelope) -> None:
    """What the official CloudEvents SDK reads equals what we wrote."""
    assert event.get_id() == env.id
    assert event.get_source() == env.source
    assert event.get_type() == env.type
    assert event.get_subject() == env.subject
    assert event.get_specversion() == "1.0"
    assert event.get_time() == env.time
    assert event.get_datacontenttype() == "application/json"
    assert str(event.get_extension("streamversion")) == str(env.stream_version)
    assert event.get_extension("correlationid") == env.correlation_id
    assert event.get_extension("causationid") == env.causation_id
    assert event.get_extension("actor") == env.actor
    assert event.get_data() == env.data
