"""The ``ledger_rebuilds`` rows (progress any replica can report) and the Kafka positions a
rebuild replays up to."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.kafka import KafkaConfig


@dataclass(frozen=True, slots=True)
class RebuildRecord:
    """One rebuild as recorded."""

    generation: int
    previous: int
    state: str  # running | switched | failed | abandoned
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    finished_at: dt.datetime | None
    records_target: int
    records_done: int
    events_applied: int
    books_equal: bool | None
    detail: str | None
    stale: bool  # running, but no heartbeat for longer than the staleness limit


_COLUMNS = (
    "SELECT generation, previous, state, started_at, heartbeat_at, finished_at, records_target,"
    " records_done, events_applied, books_equal, detail,"
    " (state = 'running' AND heartbeat_at < now() - make_interval(secs => :stale)) AS stale"
    " FROM ledger_rebuilds"
)


def _record(r: Any) -> RebuildRecord:
    return RebuildRecord(
        generation=int(r.generation),
        previous=int(r.previous),
        state=r.state,
        started_at=r.started_at,
        heartbeat_at=r.heartbeat_at,
        finished_at=r.finished_at,
        records_target=int(r.records_target),
        records_done=int(r.records_done),
        events_applied=int(r.events_applied),
        books_equal=r.books_equal,
        detail=r.detail,
        stale=bool(r.stale),
    )


async def get_rebuild(conn: AsyncConnection, generation: int, stale_after: float) -> RebuildRecord | None:
    row = (
        await conn.execute(text(_COLUMNS + " WHERE generation = :g"), {"g": generation, "stale": stale_after})
    ).one_or_none()
    return None if row is None else _record(row)


async def latest_rebuild(conn: AsyncConnection, stale_after: float) -> RebuildRecord | None:
    row = (
        await conn.execute(text(_COLUMNS + " ORDER BY generation DESC LIMIT 1"), {"stale": stale_after})
    ).one_or_none()
    return None if row is None else _record(row)


async def highest_generation(conn: AsyncConnection) -> int:
    """The highest generation ever used (numbers are never reused: each names a consumer
    group and a dedupe scope)."""
    found = await conn.scalar(
        text(
            "SELECT greatest((SELECT active FROM ledger_generation WHERE id = 1),"
            " (SELECT COALESCE(max(generation), 0) FROM ledger_rebuilds),"
            " (SELECT COALESCE(max(g), 0) FROM ledger_book_generations() AS g))"
        )
    )
    return int(found or 0)


async def register_rebuild(conn: AsyncConnection, generation: int, previous: int) -> None:
    """Make ``generation`` the pending one (the caller holds the generation row lock)."""
    await conn.execute(text("UPDATE ledger_generation SET pending = :g WHERE id = 1"), {"g": generation})
    await conn.execute(
        text("INSERT INTO ledger_rebuilds (generation, previous, state) VALUES (:g, :p, 'running')"),
        {"g": generation, "p": previous},
    )


async def heartbeat(
    conn: AsyncConnection, generation: int, records_target: int, records_done: int, events_applied: int
) -> bool:
    """Record progress; False when the rebuild is no longer running (taken over)."""
    found = await conn.scalar(
        text(
            "UPDATE ledger_rebuilds SET heartbeat_at = now(), records_target = :t, records_done = :d,"
            " events_applied = :a WHERE generation = :g AND state = 'running' RETURNING generation"
        ),
        {"g": generation, "t": records_target, "d": records_done, "a": events_applied},
    )
    return found is not None


async def finish_rebuild(
    conn: AsyncConnection,
    generation: int,
    state: str,
    *,
    detail: str | None,
    books_equal: bool | None = None,
    records_done: int | None = None,
    events_applied: int | None = None,
) -> None:
    """Close a running rebuild as switched, failed or abandoned."""
    await conn.execute(
        text(
            "UPDATE ledger_rebuilds SET state = :s, finished_at = now(), heartbeat_at = now(),"
            " detail = :detail, books_equal = :equal,"
            " records_done = COALESCE(CAST(:done AS bigint), records_done),"
            " events_applied = COALESCE(CAST(:applied AS bigint), events_applied)"
            " WHERE generation = :g AND state = 'running'"
        ),
        {
            "g": generation,
            "s": state,
            "detail": detail,
            "equal": books_equal,
            "done": records_done,
            "applied": events_applied,
        },
    )


async def switch_generation(conn: AsyncConnection, generation: int) -> None:
    """Make the pending ``generation`` the active one (the caller holds the row lock)."""
    await conn.execute(
        text("UPDATE ledger_generation SET active = :g, pending = NULL, switched_at = now() WHERE id = 1"),
        {"g": generation},
    )


async def clear_pending(conn: AsyncConnection, generation: int) -> None:
    await conn.execute(
        text("UPDATE ledger_generation SET pending = NULL WHERE id = 1 AND pending = :g"), {"g": generation}
    )


async def forget_consumer(conn: AsyncConnection, consumer: str) -> None:
    """Drop the dedupe rows of a consumer that will never run again (a finished rebuild's)."""
    await conn.execute(text("DELETE FROM processed_events WHERE consumer = :c"), {"c": consumer})


@dataclass(frozen=True, slots=True)
class TopicRange:
    """Offsets of one partition: where it starts and where it ended when asked."""

    partition: TopicPartition
    begin: int
    end: int


async def topic_ranges(kafka: KafkaConfig, topics: Sequence[str]) -> list[TopicRange]:
    """The current beginning and end offsets of every partition of ``topics`` (logical
    names); topics that do not exist yet have none."""
    client_id = f"{kafka.client_id}-ledger-offsets-{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka.bootstrap_servers, client_id=client_id)
    await admin.start()
    try:
        described = await admin.describe_topics([kafka.topic(t) for t in topics])
    finally:
        await admin.close()
    partitions = [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        if d["error_code"] == 0
        for p in sorted(d["partitions"], key=lambda p: int(p["partition"]))
    ]
    if not partitions:
        return []
    consumer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=None,
        enable_auto_commit=False,
        client_id=client_id,
    )
    await consumer.start()
    try:
        begins = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return [TopicRange(tp, int(begins[tp]), int(ends[tp])) for tp in partitions]
