"""Writing the books of one generation: source events, accounts, journal entries and lines,
open items and their movements, each as ONE multi-row statement per batch (``unnest`` of
arrays through the asyncpg connection of the caller's transaction).

The caller has already pointed the transaction at a generation (``books.use_books``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from backoffice_events.consumer import ConsumedEvent

from ..domain import Account, ItemKind, JournalEntry, Movement, OpenItem, OpenItemKey


@dataclass(frozen=True, slots=True)
class PostedEvent:
    """A consumed event with the entries the posting rules made for it (maybe none)."""

    consumed: ConsumedEvent
    occurred_on: dt.date
    entries: list[JournalEntry]
    posted_on: dt.date | None = None  # set when the event posts on another date than its own

    @property
    def event_id(self) -> str:
        return self.consumed.envelope.id


async def record_source_events(db: Any, events: Sequence[PostedEvent]) -> set[str]:
    """Record the events this generation takes; return the ids it had not taken before."""
    rows = await db.fetch(
        "INSERT INTO source_events (event_id, event_type, source, subject, occurred_at, topic,"
        " partition, kafka_offset, data)"
        " SELECT u.event_id, u.event_type, u.source, u.subject, u.occurred_at, u.topic, u.partition,"
        " u.kafka_offset, u.data::jsonb"
        " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],"
        " $7::int[], $8::bigint[], $9::text[])"
        " AS u(event_id, event_type, source, subject, occurred_at, topic, partition, kafka_offset, data)"
        " ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        [e.event_id for e in events],
        [e.consumed.envelope.type for e in events],
        [e.consumed.envelope.source for e in events],
        [e.consumed.envelope.subject or "" for e in events],
        [e.consumed.envelope.time for e in events],
        [e.consumed.topic for e in events],
        [e.consumed.partition for e in events],
        [e.consumed.offset for e in events],
        [_data_text(e.consumed) for e in events],
    )
    return {r["event_id"] for r in rows}


def _data_text(consumed: ConsumedEvent) -> str:
    """The event's JSON data as text: the record's own bytes when it came from Kafka (the
    envelope's ``data`` was parsed from them), else the data serialised again."""
    record = consumed.record
    value = getattr(record, "value", None) if record is not None else None
    if isinstance(value, bytes):
        return value.decode()
    return orjson.dumps(consumed.envelope.data).decode()


async def open_accounts(db: Any, accounts: Iterable[Account]) -> None:
    """Add accounts the chart does not list yet (expense accounts opened on first use)."""
    wanted = list(accounts)
    if not wanted:
        return
    await db.execute(
        "INSERT INTO accounts (code, name, role, kind, normal_side, subledger)"
        " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])"
        " ON CONFLICT (code) DO NOTHING",
        [a.code for a in wanted],
        [a.name for a in wanted],
        [a.role.value for a in wanted],
        [a.kind.value for a in wanted],
        [a.normal_side.value for a in wanted],
        [a.subledger.value if a.subledger else None for a in wanted],
    )


async def save_entries(db: Any, entries: Sequence[JournalEntry]) -> None:
    """Insert the entries and all their lines: two statements whatever their number."""
    if not entries:
        return
    await db.execute(
        "INSERT INTO journal_entries (entry_id, event_id, currency, event_type, posted_on, description,"
        " document_date)"
        " SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::date[], $6::text[],"
        " $7::date[])",
        [e.entry_id for e in entries],
        [e.event_id for e in entries],
        [e.lines[0].currency for e in entries],
        [e.event_type for e in entries],
        [e.posted_on for e in entries],
        [e.description for e in entries],
        [e.document_date or e.posted_on for e in entries],
    )
    entry_ids: list[str] = []
    line_nos: list[int] = []
    accounts: list[str] = []
    party_kinds: list[str | None] = []
    party_ids: list[str | None] = []
    currencies: list[str] = []
    debits: list[Decimal] = []
    credits: list[Decimal] = []
    dates: list[dt.date] = []
    rates: list[Decimal | None] = []
    documents: list[str | None] = []
    for entry in entries:
        for n, line in enumerate(entry.lines, start=1):
            entry_ids.append(entry.entry_id)
            line_nos.append(n)
            accounts.append(line.account)
            party_kinds.append(line.party_kind.value if line.party_kind else None)
            party_ids.append(line.party_id)
            currencies.append(line.currency)
            debits.append(line.debit)
            credits.append(line.credit)
            dates.append(entry.posted_on)
            rates.append(line.vat_rate)
            documents.append(line.document_id)
    await db.execute(
        "INSERT INTO journal_lines (entry_id, line_no, account, party_kind, party_id, currency, debit,"
        " credit, posted_on, vat_rate, document_id)"
        " SELECT * FROM unnest($1::uuid[], $2::smallint[], $3::text[], $4::text[], $5::text[], $6::text[],"
        " $7::numeric[], $8::numeric[], $9::date[], $10::numeric[], $11::text[])",
        entry_ids,
        line_nos,
        accounts,
        party_kinds,
        party_ids,
        currencies,
        debits,
        credits,
        dates,
        rates,
        documents,
    )


async def load_open_items(db: Any, keys: Iterable[OpenItemKey]) -> dict[OpenItemKey, OpenItem]:
    """The open items with these keys, with all their movements (absent keys are left out)."""
    wanted = list(dict.fromkeys(keys))
    if not wanted:
        return {}
    kinds = [k.value for k, _ in wanted]
    ids = [i for _, i in wanted]
    heads = await db.fetch(
        "SELECT kind, item_id, party_id, currency, issued_on, due_date, reference FROM open_items"
        " WHERE (kind, item_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
        kinds,
        ids,
    )
    if not heads:
        return {}
    moves = await db.fetch(
        "SELECT kind, item_id, event_id, on_date, amount, reason FROM open_item_movements"
        " WHERE (kind, item_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))"
        " ORDER BY kind, item_id, on_date, event_id, seq",
        kinds,
        ids,
    )
    movements: dict[OpenItemKey, list[Movement]] = {}
    for m in moves:
        movements.setdefault((ItemKind(m["kind"]), m["item_id"]), []).append(
            Movement(on=m["on_date"], amount=m["amount"], event_id=m["event_id"], reason=m["reason"])
        )
    items: dict[OpenItemKey, OpenItem] = {}
    for h in heads:
        key = (ItemKind(h["kind"]), h["item_id"])
        items[key] = OpenItem(
            kind=key[0],
            item_id=key[1],
            party_id=h["party_id"],
            currency=h["currency"],
            issued_on=h["issued_on"],
            due_date=h["due_date"],
            reference=h["reference"],
            movements=tuple(movements.get(key, ())),
        )
    return items


@dataclass(frozen=True, slots=True)
class NewMovement:
    """A movement one event added to one item (``seq`` numbers several of one event)."""

    key: OpenItemKey
    seq: int
    movement: Movement


async def save_open_items(db: Any, items: Sequence[OpenItem], movements: Sequence[NewMovement]) -> None:
    """Upsert the items' headers (a placeholder gets its issue details) and add the movements."""
    if items:
        await db.execute(
            "INSERT INTO open_items (kind, item_id, party_id, currency, issued_on, due_date, reference)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::date[], $6::date[],"
            " $7::text[])"
            " ON CONFLICT (kind, item_id) DO UPDATE SET party_id = EXCLUDED.party_id,"
            " currency = EXCLUDED.currency, issued_on = EXCLUDED.issued_on,"
            " due_date = EXCLUDED.due_date, reference = EXCLUDED.reference",
            [i.kind.value for i in items],
            [i.item_id for i in items],
            [i.party_id for i in items],
            [i.currency for i in items],
            [i.issued_on for i in items],
            [i.due_date for i in items],
            [i.reference for i in items],
        )
    if movements:
        await db.execute(
            "INSERT INTO open_item_movements (kind, item_id, event_id, seq, on_date, amount, reason)"
            " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::date[],"
            " $6::numeric[], $7::text[])",
            [m.key[0].value for m in movements],
            [m.key[1] for m in movements],
            [m.movement.event_id for m in movements],
            [m.seq for m in movements],
            [m.movement.on for m in movements],
            [m.movement.amount for m in movements],
            [m.movement.reason for m in movements],
        )
