"""Read models of the fiscal periods, the lock date and the manual journal entries (public
schema: outside the generations of the books, so a rebuild keeps them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson

from backoffice_events.catalog.ledger import ManualJournalLine, PeriodClosed, PeriodReopened

from ..domain.manual_entries import EntryStatus, ManualEntry

PERIODS_STREAM = "fiscal-periods"


def entry_stream(entry_id: str) -> str:
    return f"journal-entry-{entry_id}"


@dataclass(frozen=True, slots=True)
class PeriodRow:
    """A period that has been closed at least once."""

    period: str
    status: str
    first_day: dt.date
    last_day: dt.date
    closed_by: str
    closed_at: dt.datetime
    reopened_by: str | None
    reopened_at: dt.datetime | None
    reopen_reason: str | None


async def set_lock_date(db: Any, event: PeriodClosed | PeriodReopened) -> None:
    """Move the lock date and the period's row with a closing or reopening."""
    if isinstance(event, PeriodClosed):
        await db.execute(
            "UPDATE ledger_lock SET lock_date = $1, updated_at = $2 WHERE id = 1",
            event.lock_date,
            event.closed_at,
        )
        await db.execute(
            "INSERT INTO ledger_periods (period, status, first_day, last_day, closed_by, closed_at)"
            " VALUES ($1, 'closed', $2, $3, $4, $5)"
            " ON CONFLICT (period) DO UPDATE SET status = 'closed', closed_by = EXCLUDED.closed_by,"
            " closed_at = EXCLUDED.closed_at",
            event.period,
            event.first_day,
            event.last_day,
            event.closed_by,
            event.closed_at,
        )
    else:
        await db.execute(
            "UPDATE ledger_lock SET lock_date = $1, updated_at = $2 WHERE id = 1",
            event.lock_date,
            event.reopened_at,
        )
        await db.execute(
            "UPDATE ledger_periods SET status = 'open', reopened_by = $2, reopened_at = $3,"
            " reopen_reason = $4 WHERE period = $1",
            event.period,
            event.reopened_by,
            event.reopened_at,
            event.reason,
        )


async def list_periods(db: Any) -> list[PeriodRow]:
    """Every period closed at least once, oldest first."""
    rows = await db.fetch(
        "SELECT period, status, first_day, last_day, closed_by, closed_at, reopened_by, reopened_at,"
        " reopen_reason FROM ledger_periods ORDER BY period"
    )
    return [PeriodRow(**dict(r)) for r in rows]


def _lines_json(lines: list[ManualJournalLine]) -> str:
    return orjson.dumps([line.model_dump(mode="json") for line in lines]).decode()


async def save_entry(db: Any, entry: ManualEntry) -> None:
    """Insert or update an entry's row to its current state."""
    await db.execute(
        "INSERT INTO manual_journal_entries (entry_id, status, entry_date, description, lines, proposed_by,"
        " approved_by, rejected_by, rejection_reason, reverses, reversal_entry_id, version)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12)"
        " ON CONFLICT (entry_id) DO UPDATE SET status = EXCLUDED.status, approved_by = EXCLUDED.approved_by,"
        " rejected_by = EXCLUDED.rejected_by, rejection_reason = EXCLUDED.rejection_reason,"
        " reversal_entry_id = EXCLUDED.reversal_entry_id, version = EXCLUDED.version",
        entry.entry_id,
        entry.status.value,
        entry.entry_date,
        entry.description,
        _lines_json(entry.lines),
        entry.proposed_by,
        entry.approved_by,
        entry.rejected_by,
        entry.rejection_reason,
        entry.reverses,
        entry.reversal_entry_id,
        entry.version,
    )


_SELECT_ENTRIES = (
    "SELECT entry_id, status, entry_date, description, lines, proposed_by, approved_by, rejected_by,"
    " rejection_reason, reverses, reversal_entry_id, version FROM manual_journal_entries"
)
_GET_ENTRY = _SELECT_ENTRIES + " WHERE entry_id = $1"
_LIST_ENTRIES = (
    _SELECT_ENTRIES
    + " WHERE ($1::text IS NULL OR status = $1) ORDER BY entry_date, created_at, entry_id LIMIT $2"
)


def _entry(row: Any) -> ManualEntry:
    lines = row["lines"]
    raw = orjson.loads(lines) if isinstance(lines, str | bytes) else lines
    return ManualEntry(
        entry_id=row["entry_id"],
        entry_date=row["entry_date"],
        description=row["description"],
        lines=[ManualJournalLine.model_validate(x) for x in raw],
        proposed_by=row["proposed_by"],
        status=EntryStatus(row["status"]),
        approved_by=row["approved_by"],
        rejected_by=row["rejected_by"],
        rejection_reason=row["rejection_reason"],
        reverses=row["reverses"],
        reversal_entry_id=row["reversal_entry_id"],
        version=row["version"],
    )


async def get_entry(db: Any, entry_id: str, *, for_update: bool = False) -> ManualEntry | None:
    row = await db.fetchrow(
        _GET_ENTRY + " FOR UPDATE" if for_update else _GET_ENTRY,
        entry_id,
    )
    return None if row is None else _entry(row)


async def list_entries(db: Any, status: str | None, limit: int) -> list[ManualEntry]:
    rows = await db.fetch(
        _LIST_ENTRIES,
        status,
        limit,
    )
    return [_entry(r) for r in rows]
