"""Retention jobs for the tables that grow with every event: every service's worker runs them.

- ``outbox``: rows already published (their events stay in ``events`` and on the topic), older
  than ``OUTBOX_RETENTION_HOURS``. Unpublished and parked rows are never deleted.
- ``processed_events``: consumer dedupe rows older than ``PROCESSED_EVENTS_RETENTION_HOURS`` (the
  redelivery window). Kafka redelivers only from a group's last committed offset, and offsets are
  committed right after the batch's transaction, so a redelivered event is at most as old as the
  oldest uncommitted batch: rows far older than that can never be needed for dedupe. The window
  must exceed the longest time a batch can stay uncommitted (an outage of the consumers) and the
  time within which dead letters are replayed; see docs/operations.md.
- ``idempotency_keys``: keys older than their lifetime, ``IDEMPOTENCY_KEY_LIFETIME_HOURS``
  (docs/api.md): a retry after that is a new request.

Deletes go in batches of ``RETENTION_BATCH_SIZE`` rows, each its own short transaction, so the
job never holds long locks; ``backoffice_retention_deleted_total{table}`` counts the rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from backoffice_events.store import driver

from .app import ServiceContext
from .metrics import RETENTION_DELETED

# One batch of old rows by table. The tables' own keys pick the rows; $1 = age in seconds,
# $2 = batch size. ctid addresses rows of tables with composite keys.
_DELETE_BATCH = {
    "outbox": (
        "DELETE FROM outbox WHERE id = ANY(ARRAY("
        "SELECT id FROM outbox WHERE published_at IS NOT NULL"
        " AND published_at < now() - make_interval(secs => $1) ORDER BY id LIMIT $2))"
    ),
    "processed_events": (
        "DELETE FROM processed_events WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM processed_events WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2))"
    ),
    "idempotency_keys": (
        "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY("
        "SELECT ctid FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1) LIMIT $2))"
    ),
}


@dataclass(frozen=True)
class RetentionRule:
    """Rows of ``table`` older than ``max_age`` are deleted."""

    table: str
    max_age: dt.timedelta


def retention_rules(ctx: ServiceContext) -> list[RetentionRule]:
    s = ctx.settings
    return [
        RetentionRule("outbox", dt.timedelta(hours=s.outbox_retention_hours)),
        RetentionRule("processed_events", dt.timedelta(hours=s.processed_events_retention_hours)),
        RetentionRule("idempotency_keys", dt.timedelta(hours=s.idempotency_key_lifetime_hours)),
    ]


async def delete_old_rows(engine: AsyncEngine, service: str, rule: RetentionRule, batch_size: int) -> int:
    """Delete ``rule``'s old rows batch by batch; returns how many went."""
    total = 0
    while True:
        async with engine.begin() as conn:
            db = await driver(conn)
            status = await db.execute(_DELETE_BATCH[rule.table], rule.max_age.total_seconds(), batch_size)
        deleted = int(status.split()[-1])  # "DELETE <n>"
        total += deleted
        RETENTION_DELETED.labels(service, rule.table).inc(deleted)
        if deleted < batch_size:
            return total


async def run_retention(ctx: ServiceContext, as_of: dt.date | None = None) -> dict[str, int]:
    """One retention pass over every growing table; rows deleted per table. Ages are measured
    from the database's clock (the rows' timestamps are the database's), so ``as_of`` is unused."""
    return {
        rule.table: await delete_old_rows(
            ctx.engine, ctx.settings.service_name, rule, ctx.settings.retention_batch_size
        )
        for rule in retention_rules(ctx)
    }


def retention_tables() -> Sequence[str]:
    return tuple(_DELETE_BATCH)
