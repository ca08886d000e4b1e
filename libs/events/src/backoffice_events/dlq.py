"""Dead letters: list, show and replay records of ``<topic>.dlq``.

A replay re-publishes the original record (key, value, CloudEvents headers) to the topic it
came from; consumers dedupe by event id, so replaying something that was meanwhile handled
has no second effect.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from .catalog import DLQ_SUFFIX
from .kafka import KafkaConfig, reliable_producer


@dataclass(frozen=True)
class DeadLetter:
    dlq_topic: str
    offset: int
    key: str | None
    reason: str
    original_topic: str
    original_partition: int | None
    original_offset: int | None
    consumer: str
    failed_at: str
    event_type: str | None
    event_id: str | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


async def read_dead_letters(config: KafkaConfig, logical_topic: str, limit: int = 1000) -> list[DeadLetter]:
    """All dead letters of a topic (up to ``limit``), oldest first."""
    topic = config.topic(logical_topic + DLQ_SUFFIX)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=config.bootstrap_servers,
        enable_auto_commit=False,
        group_id=None,
        client_id=f"dlq-reader-{uuid.uuid4().hex[:6]}",
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        await consumer.seek_to_beginning(*tps)
        out: list[DeadLetter] = []
        remaining = {tp for tp in tps if ends[tp] > 0}
        while remaining and len(out) < limit:
            batch = await consumer.getmany(timeout_ms=1000)
            if not batch:
                break
            for tp, records in batch.items():
                for r in records:
                    out.append(_dead_letter(topic, r))
                    if r.offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        return out[:limit]
    finally:
        await consumer.stop()


def _dead_letter(topic: str, r: object) -> DeadLetter:
    headers = tuple(getattr(r, "headers", ()) or ())
    h = {k: v.decode(errors="replace") for k, v in headers}
    key = getattr(r, "key", None)

    def _int(name: str) -> int | None:
        try:
            return int(h[name])
        except (KeyError, ValueError):
            return None

    return DeadLetter(
        dlq_topic=topic,
        offset=int(getattr(r, "offset", 0)),
        key=key.decode(errors="replace") if isinstance(key, bytes) else None,
        reason=h.get("dlq_reason", ""),
        original_topic=h.get("dlq_topic", topic.removesuffix(DLQ_SUFFIX)),
        original_partition=_int("dlq_partition"),
        original_offset=_int("dlq_offset"),
        consumer=h.get("dlq_consumer", ""),
        failed_at=h.get("dlq_failed_at", ""),
        event_type=h.get("ce_type"),
        event_id=h.get("ce_id"),
        value=getattr(r, "value", None),
        headers=headers,
    )


async def replay_dead_letters(
    config: KafkaConfig, logical_topic: str, offsets: set[int] | None = None
) -> int:
    """Re-publish dead letters (all, or those at ``offsets``) to their original topic."""
    letters = await read_dead_letters(config, logical_topic, limit=1_000_000)
    chosen = [d for d in letters if offsets is None or d.offset in offsets]
    if not chosen:
        return 0
    producer = reliable_producer(config)
    await producer.start()
    try:
        futures = []
        for d in chosen:
            headers = [(k, v) for k, v in d.headers if not k.startswith("dlq_")]
            futures.append(
                await producer.send(
                    d.original_topic,
                    value=d.value,
                    key=d.key.encode() if d.key is not None else None,
                    headers=headers,
                )
            )
        for f in futures:
            await f
    finally:
        await producer.stop()
    return len(chosen)
