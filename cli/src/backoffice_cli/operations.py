"""What the operator CLI reads from the running system: outbox backlog, consumer lag, dead letters."""

from __future__ import annotations

import asyncio

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient

from backoffice_events import outbox
from backoffice_events.catalog import EVENT_TOPICS, dlq_topic
from backoffice_events.kafka import KafkaConfig, end_offsets
from backoffice_platform.app import build_context
from backoffice_platform.auth import KeyRing
from backoffice_platform.runtime import ServiceDefinition


async def outbox_backlog(definition: ServiceDefinition) -> int | None:
    return (await outbox_counts(definition))[0]


async def outbox_counts(definition: ServiceDefinition) -> tuple[int | None, int | None]:
    """Rows waiting to be published, and rows parked (refused by the broker for good)."""
    url = definition.settings().resolved_database_url().replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        conn = await asyncio.wait_for(asyncpg.connect(url), 3)
    except Exception:
        return None, None
    try:
        return await outbox.outbox_backlog(conn), await outbox.outbox_parked(conn)
    except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
        return None, None
    finally:
        await conn.close()


async def parked_rows(definition: ServiceDefinition) -> list[tuple[int, str, str, str]]:
    """(outbox id, event type, event id, reason) of each parked row, oldest first."""
    url = definition.settings().resolved_database_url().replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncio.wait_for(asyncpg.connect(url), 3)
    try:
        rows = await conn.fetch(
            "SELECT o.id, e.type, e.event_id::text AS event_id, o.park_reason FROM outbox o"
            " JOIN events e ON e.position = o.event_position"
            " WHERE o.parked_at IS NOT NULL AND o.published_at IS NULL ORDER BY o.id LIMIT 100"
        )
    finally:
        await conn.close()
    return [(r["id"], r["type"], r["event_id"], r["park_reason"] or "") for r in rows]


def consumer_groups(definition: ServiceDefinition) -> list[tuple[str, list[str]]]:
    ctx = build_context(definition.settings(), keys=KeyRing([]))
    return [(c.group_id, [ctx.kafka.topic(t) for t in c.topics]) for c in definition.consumers(ctx)]


async def group_lag(config: KafkaConfig, group: str, topics: list[str]) -> int | None:
    admin = AIOKafkaAdminClient(bootstrap_servers=config.bootstrap_servers)
    await admin.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
    except Exception:
        return None
    finally:
        await admin.close()
    ends = await end_offsets(config, topics)
    return sum(max(0, end - (committed[tp].offset if tp in committed else 0)) for tp, end in ends.items())


async def dead_letter_counts(config: KafkaConfig) -> dict[str, int]:
    topics = [config.topic(dlq_topic(t)) for t in EVENT_TOPICS]
    ends = await end_offsets(config, topics)
    counts: dict[str, int] = dict.fromkeys(topics, 0)
    for tp, end in ends.items():
        counts[tp.topic] += end
    return counts
