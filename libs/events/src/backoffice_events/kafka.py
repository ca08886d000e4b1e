"""Kafka connection settings, topic administration and producer defaults."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, TopicAlreadyExistsError

from .catalog import EVENT_TOPICS, dlq_topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KafkaConfig:
    """Where the broker is and how topic names are prefixed (tests isolate by prefix)."""

    bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = ""
    client_id: str = "backoffice"

    def topic(self, logical: str) -> str:
        """Physical topic name for a logical one (``backoffice.orders``)."""
        return self.topic_prefix + logical


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int = 6
    replication: int = 1
    config: dict[str, str] = field(default_factory=dict)


def event_topic_specs(partitions: int = 6, replication: int = 1) -> list[TopicSpec]:
    """Event topics keep events forever (retention -1) so projections can be rebuilt;
    their dead-letter topics too, so dead letters can be inspected and replayed."""
    forever = {"retention.ms": "-1", "retention.bytes": "-1", "cleanup.policy": "delete"}
    specs: list[TopicSpec] = []
    for topic in EVENT_TOPICS:
        specs.append(TopicSpec(topic, partitions, replication, dict(forever)))
        specs.append(TopicSpec(dlq_topic(topic), 1, replication, dict(forever)))
    return specs


async def ensure_topics(config: KafkaConfig, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=config.bootstrap_servers, client_id=config.client_id)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(config.topic(s.name), s.partitions, s.replication, topic_configs=s.config)
            for s in specs
            if config.topic(s.name) not in existing
        ]
        if not wanted:
            return []
        try:
            await admin.create_topics(wanted)
        except TopicAlreadyExistsError:
            pass  # another process created them meanwhile
        # Metadata propagates asynchronously; wait until the broker lists them.
        for _ in range(100):
            if {t.name for t in wanted} <= set(await admin.list_topics()):
                break
            await asyncio.sleep(0.1)
        return [t.name for t in wanted]
    finally:
        await admin.close()


async def delete_topics(config: KafkaConfig, names: Sequence[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=config.bootstrap_servers, client_id=config.client_id)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()


async def end_offsets(config: KafkaConfig, topics: Sequence[str]) -> dict[TopicPartition, int]:
    """The end offset of every partition of ``topics`` (physical names); missing topics have none."""
    consumer = AIOKafkaConsumer(bootstrap_servers=config.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    # Let the consumer's internal task start: aiokafka cannot stop a consumer whose task never ran.
    await asyncio.sleep(0.01)
    try:
        await consumer._client.force_metadata_update()
        tps = [TopicPartition(t, p) for t in topics for p in sorted(consumer.partitions_for_topic(t) or ())]
        if not tps:
            return {}
        consumer.assign(tps)
        return dict(await consumer.end_offsets(tps))
    finally:
        await consumer.stop()


def reliable_producer(config: KafkaConfig, **overrides: Any) -> AIOKafkaProducer:
    """Idempotent producer with acks=all: a retried send never duplicates or reorders."""
    options: dict[str, Any] = {
        "bootstrap_servers": config.bootstrap_servers,
        "client_id": config.client_id,
        "enable_idempotence": True,
        "acks": "all",
        "linger_ms": 5,
        "max_batch_size": 512 * 1024,
        "max_request_size": 8 * 1024 * 1024,
        "request_timeout_ms": 30000,
    }
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def kafka_reachable(config: KafkaConfig, timeout: float = 3.0) -> bool:
    """True if the bootstrap server answers a metadata request in time."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=config.bootstrap_servers,
        client_id=config.client_id,
        request_timeout_ms=int(timeout * 1000),
    )
    try:
        await asyncio.wait_for(admin.start(), timeout)
        await asyncio.wait_for(admin.list_topics(), timeout)
        return True
    except (TimeoutError, KafkaConnectionError, OSError):
        return False
    except Exception:  # any client error means "not usable right now"
        log.debug("kafka not reachable", exc_info=True)
        return False
    finally:
        try:
            await admin.close()
        except Exception:
            pass
