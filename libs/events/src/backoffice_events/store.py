"""Event store on PostgreSQL with optimistic concurrency and a transactional outbox.

``append`` writes the stream's new version, the events and their outbox rows in ONE
statement inside the caller's transaction: either all of it commits or none of it. A stale
expected version raises ``ConcurrencyError`` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from .catalog import CATALOG, Catalog, EventModel
from .context import current_context
from .envelope import Envelope

ANY_VERSION = -1
"""Expected version meaning "append whatever the stream's version is"."""


class ConcurrencyError(Exception):
    """The stream moved on since the caller read it (or already exists)."""

    def __init__(self, stream_id: str, expected: int) -> None:
        super().__init__(f"stream {stream_id!r} is not at version {expected}")
        self.stream_id = stream_id
        self.expected = expected


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as stored: its envelope plus its global position in this database."""

    position: int
    topic: str
    envelope: Envelope

    def decode(self, catalog: Catalog = CATALOG) -> EventModel:
        return catalog.decode(self.envelope.type, self.envelope.data)


async def driver(conn: AsyncConnection) -> Any:
    """The asyncpg connection under a SQLAlchemy connection, inside its transaction.

    SQLAlchemy's asyncpg adapter opens the database transaction lazily, on its first own
    statement. Statements sent straight to asyncpg would otherwise run in autocommit, so
    when the SQLAlchemy connection is in a transaction we make sure it has really begun.
    """
    raw = await conn.get_raw_connection()
    if conn.in_transaction():
        adapted = raw.dbapi_connection
        if (
            getattr(adapted, "_transaction", "n/a") is None
            and getattr(adapted, "isolation_level", "") != "autocommit"
        ):
            start = getattr(adapted, "_start_transaction", None)
            if start is not None:
                await start()
            else:  # pragma: no cover - other SQLAlchemy versions
                await conn.execute(text("SELECT 1"))
    return raw.driver_connection


_APPEND_TEMPLATE = """
WITH s AS ({stream_step}), e AS (
    INSERT INTO events (event_id, stream_id, stream_version, type, source, topic, occurred_at,
                        correlation_id, causation_id, actor, data)
    SELECT u.event_id, $1, $3 + u.ord, u.type, $5, u.topic, u.occurred_at, $6, $7, $12, u.data::jsonb
    FROM unnest($4::uuid[], $8::text[], $9::text[], $10::timestamptz[], $11::text[])
         WITH ORDINALITY AS u(event_id, type, topic, occurred_at, data, ord)
    WHERE EXISTS (SELECT 1 FROM s)
    RETURNING position
)
INSERT INTO outbox (event_position) SELECT position FROM e ORDER BY position RETURNING event_position
"""
# A new stream: the insert finds a conflict (and so appends nothing) if the stream exists.
_APPEND_NEW = _APPEND_TEMPLATE.format(
    stream_step="INSERT INTO event_streams (stream_id, stream_type, version)"
    " VALUES ($1, $2, $3 + cardinality($4::uuid[])) ON CONFLICT (stream_id) DO NOTHING RETURNING stream_id"
)
# An existing stream: the update matches only at the expected version (and waits for a
# concurrent writer's commit, then re-checks), so a stale writer appends nothing.
_APPEND_EXISTING = _APPEND_TEMPLATE.format(
    stream_step="UPDATE event_streams SET version = $3 + cardinality($4::uuid[])"
    " WHERE stream_id = $1 AND version = $3 AND stream_type = $2 RETURNING stream_id"
)

_LOCK_ANY = """
INSERT INTO event_streams (stream_id, stream_type, version) VALUES ($1, $2, 0)
ON CONFLICT (stream_id) DO UPDATE SET version = event_streams.version
RETURNING version
"""


class EventStore:
    """Append-only streams of one service, with the outbox in the same transaction."""

    def __init__(self, source: str, catalog: Catalog = CATALOG) -> None:
        self.source = source
        self.catalog = catalog
        self.on_append: list[Callable[[int], None]] = []

    async def append(
        self,
        conn: AsyncConnection,
        stream_id: str,
        stream_type: str,
        expected_version: int,
        events: Sequence[EventModel],
        *,
        occurred_at: dt.datetime | None = None,
    ) -> list[RecordedEvent]:
        """Append ``events`` to a stream that must be at ``expected_version`` (0 = new stream,
        ``ANY_VERSION`` = whatever it is now, taking a row lock). Returns the recorded events."""
        if not events:
            return []
        db = await driver(conn)
        exists = expected_version != 0
        if expected_version == ANY_VERSION:
            # Locks the stream row until commit, so concurrent "any" appends serialise.
            expected_version = await db.fetchval(_LOCK_ANY, stream_id, stream_type)
        ctx = current_context()
        now = occurred_at or dt.datetime.now(dt.UTC)
        ids = [uuid.uuid4() for _ in events]
        types = [e.cloud_type() for e in events]
        topics = [e.topic for e in events]
        payloads = [e.model_dump(mode="json") for e in events]
        datas = [orjson.dumps(p).decode() for p in payloads]
        sql = _APPEND_EXISTING if exists else _APPEND_NEW
        rows = await db.fetch(
            sql,
            stream_id,
            stream_type,
            expected_version,
            ids,
            self.source,
            ctx.correlation_id,
            ctx.causation_id,
            types,
            topics,
            [now] * len(events),
            datas,
            ctx.actor,
        )
        if len(rows) != len(events):
            raise ConcurrencyError(stream_id, expected_version)
        for hook in self.on_append:
            hook(len(rows))
        return [
            RecordedEvent(
                position=row["event_position"],
                topic=topics[i],
                envelope=Envelope(
                    id=str(ids[i]),
                    source=self.source,
                    type=types[i],
                    subject=stream_id,
                    time=now,
                    data=payloads[i],
                    stream_version=expected_version + i + 1,
                    correlation_id=ctx.correlation_id,
                    causation_id=ctx.causation_id,
                    actor=ctx.actor,
                ),
            )
            for i, row in enumerate(rows)
        ]

    async def stream_version(self, conn: AsyncConnection, stream_id: str) -> int:
        db = await driver(conn)
        version = await db.fetchval("SELECT version FROM event_streams WHERE stream_id = $1", stream_id)
        return int(version or 0)

    async def read_stream(
        self, conn: AsyncConnection, stream_id: str, after_version: int = 0
    ) -> list[RecordedEvent]:
        """The stream's events in order, after ``after_version``."""
        db = await driver(conn)
        rows = await db.fetch(
            "SELECT position, event_id, stream_id, stream_version, type, source, topic, occurred_at,"
            " correlation_id, causation_id, actor, data::text AS data FROM events"
            " WHERE stream_id = $1 AND stream_version > $2"
            " ORDER BY stream_version",
            stream_id,
            after_version,
        )
        return [
            RecordedEvent(r["position"], r["topic"], envelope_from_row(r, orjson.loads(r["data"])))
            for r in rows
        ]

    async def load(self, conn: AsyncConnection, stream_id: str) -> tuple[list[EventModel], int]:
        """Decoded events of a stream and its current version."""
        recorded = await self.read_stream(conn, stream_id)
        return [r.decode(self.catalog) for r in recorded], (
            recorded[-1].envelope.stream_version if recorded else 0
        )


def envelope_from_row(row: Any, data: dict[str, Any]) -> Envelope:
    """The envelope of an ``events`` row; ``data`` is passed in because not every reader
    needs it decoded (the relay publishes the stored JSON as it is)."""
    return Envelope(
        id=str(row["event_id"]),
        source=row["source"],
        type=row["type"],
        subject=row["stream_id"],
        time=row["occurred_at"],
        data=data,
        stream_version=row["stream_version"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
        actor=row["actor"],
    )
