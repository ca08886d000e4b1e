"""Manual journal entries: propose, approve (posts), reject, reverse (posts the mirror).

Every command appends to the entry's stream in the ledger's event store (published on
``backoffice.ledger`` by the outbox) and keeps the ``manual_journal_entries`` read model in
the same transaction. Approving and reversing also write the journal entry into the books
right away (the active generation and a rebuild's, as the live consumer would), through the
same posting path the consumers use; the consumers take the event again from the topic,
deduped by its id, which is how a rebuild replays manual entries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.ledger import ManualJournalEntryReversed, ManualJournalLine
from backoffice_events.catalog.topics import LEDGER
from backoffice_events.consumer import ConsumedEvent
from backoffice_events.store import driver
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import NotFound

from ..adapters.books import generations
from ..adapters.periods import entry_stream, get_entry, list_entries, save_entry
from ..adapters.posting_dates import date_postings, lock_date
from ..adapters.projection import books_chart, open_chart, post_batch, write_generation
from ..domain.manual_entries import MANUAL_POSTED, EntryStatus, ManualEntry, propose


async def _post_now(
    conn: AsyncConnection,
    ctx: ServiceContext,
    recorded_events: Sequence[EventModel],
    stream: str,
    version: int,
) -> None:
    """Append ``recorded_events`` to ``stream`` and post the ones that post, in this transaction."""
    recorded = await ctx.store.append(
        conn, stream, "journal_entry", version, recorded_events, occurred_at=ctx.clock.now()
    )
    consumed = [
        ConsumedEvent(envelope=r.envelope, event=e, topic=LEDGER, partition=-1, offset=-1)
        for r, e in zip(recorded, recorded_events, strict=True)
        if isinstance(e, MANUAL_POSTED)
    ]
    if not consumed:
        return
    chart = await books_chart(conn)
    posted = await date_postings(conn, post_batch(consumed, ctx.clock.zone, chart))
    for generation in (await generations(conn, lock="share")).written:
        await write_generation(conn, generation, posted, chart)


async def _entry(conn: AsyncConnection, entry_id: str) -> ManualEntry:
    entry = await get_entry(await driver(conn), entry_id, for_update=True)
    if entry is None:
        raise NotFound(f"no journal entry {entry_id}", field="entry_id", rule="entry-not-found")
    return entry


async def propose_entry(
    ctx: ServiceContext, entry_date: dt.date, description: str, lines: Sequence[ManualJournalLine], by: str
) -> ManualEntry:
    """Propose a balanced entry in an open period; it posts when another person approves it."""
    async with ctx.engine.begin() as conn:
        db = await driver(conn)
        proposed = propose(
            str(uuid.uuid4()),
            entry_date,
            description,
            lines,
            by,
            await lock_date(db, share=True),
            await open_chart(conn),
        )
        await ctx.store.append(
            conn, entry_stream(proposed.entry_id), "journal_entry", 0, [proposed], occurred_at=ctx.clock.now()
        )
        entry = ManualEntry.rebuild([proposed])
        await save_entry(db, entry)
    return entry


async def approve_entry(ctx: ServiceContext, entry_id: str, approver: str) -> ManualEntry:
    """Approve (someone other than the author) and post on the entry's date."""
    async with ctx.engine.begin() as conn:
        db = await driver(conn)
        entry = await _entry(conn, entry_id)
        approved = entry.approve(approver, await lock_date(db, share=True))
        await _post_now(conn, ctx, [approved], entry_stream(entry_id), entry.version)
        entry.apply(approved)
        await save_entry(db, entry)
    return entry


async def reject_entry(ctx: ServiceContext, entry_id: str, by: str, reason: str) -> ManualEntry:
    """Reject a proposed entry; it never posts."""
    async with ctx.engine.begin() as conn:
        entry = await _entry(conn, entry_id)
        rejected = entry.reject(by, reason)
        await ctx.store.append(
            conn,
            entry_stream(entry_id),
            "journal_entry",
            entry.version,
            [rejected],
            occurred_at=ctx.clock.now(),
        )
        entry.apply(rejected)
        await save_entry(await driver(conn), entry)
    return entry


async def reverse_entry(
    ctx: ServiceContext, entry_id: str, on: dt.date, by: str, reason: str
) -> tuple[ManualEntry, ManualEntry]:
    """Post the mirror of a posted entry on ``on`` (an open date); returns (original, reversal)."""
    async with ctx.engine.begin() as conn:
        db = await driver(conn)
        entry = await _entry(conn, entry_id)
        reversed_ = entry.reverse(str(uuid.uuid4()), on, by, reason, await lock_date(db, share=True))
        reversal = _reversal_of(entry, reversed_)
        await save_entry(db, reversal)  # first: the original's row points at it
        await _post_now(conn, ctx, [reversed_], entry_stream(entry_id), entry.version)
        entry.apply(reversed_)
        await save_entry(db, entry)
    return entry, reversal


def _reversal_of(entry: ManualEntry, event: ManualJournalEntryReversed) -> ManualEntry:
    return ManualEntry(
        entry_id=event.reversal_entry_id,
        entry_date=event.reversed_on,
        description=event.description,
        lines=list(event.lines),
        proposed_by=event.reversed_by,
        status=EntryStatus.POSTED,
        approved_by=event.reversed_by,
        reverses=entry.entry_id,
        version=1,
    )


async def get(ctx: ServiceContext, entry_id: str) -> ManualEntry:
    async with ctx.engine.begin() as conn:
        entry = await get_entry(await driver(conn), entry_id)
    if entry is None:
        raise NotFound(f"no journal entry {entry_id}", field="entry_id", rule="entry-not-found")
    return entry


async def entries(ctx: ServiceContext, status: str | None, limit: int) -> list[ManualEntry]:
    async with ctx.engine.begin() as conn:
        return await list_entries(await driver(conn), status, limit)
