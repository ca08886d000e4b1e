"""The Kafka side of the ledger: ONE consumer of ``backoffice.billing`` and
``backoffice.payables`` that projects a polled batch into the books in one transaction.

Per batch (the runtime has already opened the transaction and recorded the event ids in
``processed_events``, skipping redeliveries):

1. ``post()`` every event (pure), with the seeded chart plus the bookkeeper's accounts of the
   published chart. An event the books cannot take (amounts that do not add up, an unknown
   currency or account, a type ``posting.py`` does not declare, ...) raises
   ``PermanentError``; the runtime then retries the batch event by event, dead-letters that one
   event with the reason and posts the rest. The live consumer takes EVERY type on its topics
   (no ``handles`` filter), so an undeclared or unknown type is a dead letter, never a silent
   skip; its dead-letter hook records it in ``ledger_dead_letters`` (the books check then
   fails with ``books-incomplete``) and an event that posts later (a replay) clears its row.
2. For each generation written (the active one, plus a rebuild's pending one while it runs):
   point the transaction at it, serialise with other writers of that generation (advisory
   lock: open items are read, reduced and written back), record the events in
   ``source_events`` (the generation's own dedupe set: the live consumer and a rebuild may
   both hand it the same event), reduce the open items of the events it had not taken, and
   write entries, lines, items and movements with one multi-row statement each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.chart import AccountClosed, AccountOpened, AccountRenamed
from backoffice_events.catalog.ledger import (
    ManualJournalEntryProposed,
    ManualJournalEntryRejected,
    PeriodClosed,
    PeriodReopened,
)
from backoffice_events.catalog.topics import BILLING, LEDGER, PAYABLES
from backoffice_events.consumer import BatchHandler, ConsumedEvent, EventConsumer, PermanentError
from backoffice_events.store import driver
from backoffice_platform.app import ServiceContext
from backoffice_platform.clock import business_date as business_date_of

from ..domain import (
    DEFAULT_CHART,
    NOT_POSTED,
    POSTED,
    Account,
    ChartOfAccounts,
    OpenItem,
    OpenItemKey,
    PostingError,
    open_item_changes,
    open_item_keys,
    post,
)
from ..domain.chart import bookkeepers_accounts
from ..domain.manual_entries import MANUAL_POSTED, post_manual
from .books import generations, use_books
from .chart import clear_dead_letters, load_chart, record_dead_letters
from .journal import (
    NewMovement,
    PostedEvent,
    load_open_items,
    open_accounts,
    record_source_events,
    save_entries,
    save_open_items,
)
from .posting_dates import date_postings, moved

# The ledger's own topic carries the approved manual entries: their commands post them at
# once, the consumers take them again (deduped by event id) so a rebuild replays them too.
LEDGER_TOPICS: tuple[str, ...] = (BILLING, PAYABLES, LEDGER)
LEDGER_NOT_POSTED: tuple[type[EventModel], ...] = (
    PeriodClosed,
    PeriodReopened,
    ManualJournalEntryProposed,
    ManualJournalEntryRejected,
    # The chart's read model is written with its events; the accounts post nothing by themselves.
    AccountOpened,
    AccountRenamed,
    AccountClosed,
)
"""The ledger's own events that post nothing (approved and reversed manual entries post)."""
HANDLED: tuple[type[EventModel], ...] = (*POSTED, *NOT_POSTED, *MANUAL_POSTED)
"""What a rebuild replays: every declared type of billing and payables, and the ledger's own
events that post (a rebuild skips the rest of its own topic undecoded)."""
LIVE_CONSUMER = "ledger"

# First key of the advisory lock that serialises writers of one generation (the second key).
_WRITER_LOCK = 7_231_100


def _refused(exc: PostingError, consumed: ConsumedEvent) -> PermanentError:
    field = f", field {exc.field}" if exc.field else ""
    return PermanentError(
        f"{consumed.envelope.type} {consumed.envelope.id} cannot be posted: {exc.detail}"
        f" (rule {exc.rule}{field})"
    )


async def books_chart(conn: AsyncConnection) -> ChartOfAccounts:
    """The chart the posting rules use: the seeded chart plus every account a bookkeeper
    opened in the published chart (closed ones too, so a rebuild posts history the same way)."""
    return DEFAULT_CHART.with_accounts(*bookkeepers_accounts((await load_chart(conn)).values()))


async def open_chart(conn: AsyncConnection) -> ChartOfAccounts:
    """The chart new postings by hand may use: the seeded chart plus the open accounts."""
    published = (await load_chart(conn)).values()
    return DEFAULT_CHART.with_accounts(*bookkeepers_accounts(a for a in published if a.open))


def post_batch(
    events: Sequence[ConsumedEvent], zone: dt.tzinfo, chart: ChartOfAccounts = DEFAULT_CHART
) -> list[PostedEvent]:
    """The entries of every event, before anything is written; ``PermanentError`` for the
    first event the posting rules refuse. An event without a business date of its own counts
    on the date its time falls on in the company's ``zone``. The ledger's own events that post
    nothing (chart, periods, proposals) are no source of the books and are left out."""
    posted: list[PostedEvent] = []
    for consumed in events:
        if isinstance(consumed.event, LEDGER_NOT_POSTED):
            continue
        occurred_on = business_date_of(consumed.envelope.time, zone)
        try:
            if isinstance(consumed.event, MANUAL_POSTED):
                entries = post_manual(consumed.event, consumed.envelope.id)
            else:
                entries = post(consumed.event, consumed.envelope.id, occurred_on, chart=chart)
        except PostingError as exc:
            raise _refused(exc, consumed) from exc
        posted.append(PostedEvent(consumed, occurred_on, entries))
    return posted


def _new_accounts(posted: Sequence[PostedEvent], chart: ChartOfAccounts) -> list[Account]:
    """Accounts the entries use that the seeded chart does not list (expense accounts)."""
    found: dict[str, Account] = {}
    for event in posted:
        for entry in event.entries:
            for line in entry.lines:
                if line.account not in DEFAULT_CHART and line.account not in found:
                    found[line.account] = chart.account(line.account)
    return list(found.values())


async def write_generation(
    conn: AsyncConnection,
    generation: int,
    posted: Sequence[PostedEvent],
    chart: ChartOfAccounts = DEFAULT_CHART,
) -> int:
    """Write ``posted`` into ``generation``'s books; returns how many events were new to it."""
    await use_books(conn, generation)
    db = await driver(conn)
    await db.execute("SELECT pg_advisory_xact_lock($1, $2)", _WRITER_LOCK, generation)
    fresh_ids = await record_source_events(db, posted)
    fresh = [p for p in posted if p.event_id in fresh_ids]
    if not fresh:
        return 0

    keys = [key for p in fresh for key in open_item_keys(p.consumed.event)]
    state: dict[OpenItemKey, OpenItem] = await load_open_items(db, keys)
    changed: dict[OpenItemKey, OpenItem] = {}
    movements: list[NewMovement] = []
    for p in fresh:
        try:
            if p.posted_on is None:
                changes = open_item_changes(state, p.consumed.event, p.event_id, p.occurred_on)
            else:  # posted past the lock date: its open-item movements move with it
                event = moved(p.consumed.event, p.posted_on)
                changes = open_item_changes(state, event, p.event_id, p.posted_on)
        except PostingError as exc:
            raise _refused(exc, p.consumed) from exc
        for item in changes:
            state[item.key] = changed[item.key] = item
            mine = [m for m in item.movements if m.event_id == p.event_id]
            movements.extend(NewMovement(item.key, seq, m) for seq, m in enumerate(mine))

    await open_accounts(db, _new_accounts(fresh, chart))
    await save_entries(db, [entry for p in fresh for entry in p.entries])
    await save_open_items(db, list(changed.values()), movements)
    return len(fresh)


def project_live(zone: dt.tzinfo) -> BatchHandler:
    """Batch handler of the live consumer: the active generation, and a pending one too.

    The generation row is read ``FOR SHARE``, so a rebuild registering or switching a
    generation waits for this batch and every later batch sees the new row.
    """

    async def handler(conn: AsyncConnection, events: Sequence[ConsumedEvent]) -> None:
        chart = await books_chart(conn)
        current = await generations(conn, lock="share")
        posted = await date_postings(conn, post_batch(events, zone, chart))
        for generation in current.written:
            await write_generation(conn, generation, posted, chart)
        # Taken now (e.g. a replayed dead letter): no longer missing from the books.
        await clear_dead_letters(conn, [e.envelope.id for e in events])

    return handler


def project_into(generation: int, zone: dt.tzinfo) -> BatchHandler:
    """Batch handler of a rebuild's consumer: only the generation being rebuilt."""

    async def handler(conn: AsyncConnection, events: Sequence[ConsumedEvent]) -> None:
        chart = await books_chart(conn)
        posted = await date_postings(conn, post_batch(events, zone, chart))
        await write_generation(conn, generation, posted, chart)

    return handler


def live_consumer(ctx: ServiceContext) -> EventConsumer:
    """The ledger's one consumer of the billing and payables topics. It takes every type (no
    ``handles``): a type the posting rules do not declare is refused and dead-lettered."""
    return EventConsumer(
        name=LIVE_CONSUMER,
        engine=ctx.engine,
        kafka=ctx.kafka,
        topics=list(LEDGER_TOPICS),
        batch_handler=project_live(ctx.clock.zone),
        on_dead_letter=record_dead_letters,
    )


def rebuild_consumer(ctx: ServiceContext, generation: int) -> EventConsumer:
    """A consumer with a fresh group (so it starts at the beginning of the topics) and its
    own dedupe scope, writing only into ``generation``."""
    name = f"ledger-rebuild-{generation}"
    return EventConsumer(
        name=name,
        engine=ctx.engine,
        kafka=ctx.kafka,
        topics=list(LEDGER_TOPICS),
        batch_handler=project_into(generation, ctx.clock.zone),
        handles=HANDLED,
        batch_size=2000,
    )
