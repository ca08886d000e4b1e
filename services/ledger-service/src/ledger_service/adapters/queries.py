"""Reading the books of the generation the transaction points at (``books.read_books``):
balances, open items, lines and entries, shaped as the domain's report types."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain import (
    Account,
    AccountBalance,
    AccountKind,
    AccountRole,
    EntryTotal,
    ItemKind,
    Movement,
    OpenItem,
    PartyKind,
    PostedLine,
    Side,
    SubledgerBalance,
)

_ZERO = Decimal(0)


def _account(row: Any) -> Account:
    return Account(
        code=row.code,
        name=row.name,
        role=AccountRole(row.role),
        kind=AccountKind(row.kind),
        normal_side=Side(row.normal_side),
        subledger=PartyKind(row.subledger) if row.subledger else None,
    )


async def list_accounts(conn: AsyncConnection, after: str | None, limit: int) -> list[Account]:
    """The chart, by code, from after ``after``."""
    rows = await conn.execute(
        text(
            "SELECT code, name, role, kind, normal_side, subledger FROM accounts"
            " WHERE CAST(:after AS text) IS NULL OR code > :after ORDER BY code LIMIT :limit"
        ),
        {"after": after, "limit": limit},
    )
    return [_account(r) for r in rows]


async def get_account(conn: AsyncConnection, code: str) -> Account | None:
    row = (
        await conn.execute(
            text("SELECT code, name, role, kind, normal_side, subledger FROM accounts WHERE code = :code"),
            {"code": code},
        )
    ).one_or_none()
    return None if row is None else _account(row)


async def all_accounts(conn: AsyncConnection) -> list[Account]:
    rows = await conn.execute(
        text("SELECT code, name, role, kind, normal_side, subledger FROM accounts ORDER BY code")
    )
    return [_account(r) for r in rows]


async def account_balances(conn: AsyncConnection, as_of: dt.date | None) -> list[AccountBalance]:
    """Debit and credit totals per (account, currency) of lines posted on or before ``as_of``."""
    rows = await conn.execute(
        text(
            "SELECT account, currency, sum(debit) AS debit, sum(credit) AS credit FROM journal_lines"
            " WHERE CAST(:as_of AS date) IS NULL OR posted_on <= :as_of"
            " GROUP BY account, currency ORDER BY account, currency"
        ),
        {"as_of": as_of},
    )
    return [
        AccountBalance(account=r.account, currency=r.currency, debit=r.debit, credit=r.credit) for r in rows
    ]


async def subledger_balances(
    conn: AsyncConnection,
    as_of: dt.date | None,
    *,
    party_kind: PartyKind | None = None,
    party_id: str | None = None,
    account: str | None = None,
) -> list[SubledgerBalance]:
    """Totals per (account, party, currency) of lines naming a party, optionally one party
    and/or one account."""
    rows = await conn.execute(
        text(
            "SELECT account, party_kind, party_id, currency, sum(debit) AS debit, sum(credit) AS credit"
            " FROM journal_lines WHERE party_id IS NOT NULL"
            " AND (CAST(:as_of AS date) IS NULL OR posted_on <= :as_of)"
            " AND (CAST(:kind AS text) IS NULL OR party_kind = :kind)"
            " AND (CAST(:party AS text) IS NULL OR party_id = :party)"
            " AND (CAST(:account AS text) IS NULL OR account = :account)"
            " GROUP BY account, party_kind, party_id, currency"
            " ORDER BY account, party_kind, party_id, currency"
        ),
        {
            "as_of": as_of,
            "kind": party_kind.value if party_kind else None,
            "party": party_id,
            "account": account,
        },
    )
    return [
        SubledgerBalance(
            account=r.account,
            party_kind=PartyKind(r.party_kind),
            party_id=r.party_id,
            currency=r.currency,
            debit=r.debit,
            credit=r.credit,
        )
        for r in rows
    ]


async def account_balance(
    conn: AsyncConnection, code: str, as_of: dt.date, party_id: str | None
) -> list[AccountBalance]:
    """One account's totals per currency at ``as_of`` (one party's, if ``party_id``)."""
    rows = await conn.execute(
        text(
            "SELECT currency, sum(debit) AS debit, sum(credit) AS credit FROM journal_lines"
            " WHERE account = :code AND posted_on <= :as_of"
            " AND (CAST(:party AS text) IS NULL OR party_id = :party)"
            " GROUP BY currency ORDER BY currency"
        ),
        {"code": code, "as_of": as_of, "party": party_id},
    )
    return [AccountBalance(account=code, currency=r.currency, debit=r.debit, credit=r.credit) for r in rows]


async def unbalanced_entries(conn: AsyncConnection, as_of: dt.date | None) -> list[EntryTotal]:
    """Entries (per currency) posted on or before ``as_of`` whose debits differ from credits."""
    rows = await conn.execute(
        text(
            "SELECT entry_id, currency, sum(debit) AS debit, sum(credit) AS credit FROM journal_lines"
            " WHERE CAST(:as_of AS date) IS NULL OR posted_on <= :as_of"
            " GROUP BY entry_id, currency HAVING sum(debit) <> sum(credit)"
        ),
        {"as_of": as_of},
    )
    return [
        EntryTotal(entry_id=str(r.entry_id), currency=r.currency, debit=r.debit, credit=r.credit)
        for r in rows
    ]


async def open_items_at(
    conn: AsyncConnection, as_of: dt.date | None, *, kind: ItemKind | None = None, issued_only: bool = False
) -> list[OpenItem]:
    """Open items with what they owed at ``as_of`` (all movements if None), computed in SQL.

    Each item carries ONE movement summing its movements up to ``as_of`` (dated ``as_of``,
    or the latest movement date), which is all aging and the invariant check need.
    ``issued_only`` leaves out placeholders and items issued after ``as_of``.
    """
    rows = await conn.execute(
        text(
            "SELECT i.kind, i.item_id, i.party_id, i.currency, i.issued_on, i.due_date, i.reference,"
            " COALESCE(sum(m.amount), 0) AS open_amount, max(m.on_date) AS last_on"
            " FROM open_items i LEFT JOIN open_item_movements m"
            " ON m.kind = i.kind AND m.item_id = i.item_id"
            " AND (CAST(:as_of AS date) IS NULL OR m.on_date <= :as_of)"
            " WHERE (CAST(:kind AS text) IS NULL OR i.kind = :kind)"
            " AND (NOT :issued_only OR (i.issued_on IS NOT NULL AND i.issued_on <= :as_of))"
            " GROUP BY i.kind, i.item_id ORDER BY i.kind, i.item_id"
        ),
        {"as_of": as_of, "kind": kind.value if kind else None, "issued_only": issued_only},
    )
    items: list[OpenItem] = []
    for r in rows:
        on = as_of or r.last_on or r.issued_on or dt.date.min
        items.append(
            OpenItem(
                kind=ItemKind(r.kind),
                item_id=r.item_id,
                party_id=r.party_id,
                currency=r.currency,
                issued_on=r.issued_on,
                due_date=r.due_date,
                reference=r.reference,
                movements=(Movement(on=on, amount=r.open_amount, event_id="", reason="balance"),),
            )
        )
    return items


async def party_opening(
    conn: AsyncConnection,
    party_kind: PartyKind,
    party_id: str,
    accounts: Sequence[str],
    before: dt.date | None,
) -> dict[str, Decimal]:
    """Debit minus credit per currency of the party's lines on ``accounts`` before ``before``."""
    if before is None:
        return {}
    rows = await conn.execute(
        text(
            "SELECT currency, sum(debit) - sum(credit) AS net FROM journal_lines"
            " WHERE party_kind = :kind AND party_id = :party AND account = ANY(:accounts)"
            " AND posted_on < :before GROUP BY currency"
        ),
        {"kind": party_kind.value, "party": party_id, "accounts": list(accounts), "before": before},
    )
    return {r.currency: r.net for r in rows}


async def party_lines(
    conn: AsyncConnection,
    party_kind: PartyKind,
    party_id: str,
    accounts: Sequence[str],
    start: dt.date | None,
    end: dt.date,
) -> list[PostedLine]:
    """The party's lines on ``accounts`` in [start, end], one per entry and currency (an
    entry touching several of the accounts, such as applying unapplied cash, is summed),
    in posting order: date, then the time of the event."""
    rows = await conn.execute(
        text(
            "SELECT l.entry_id, e.event_id, e.posted_on, e.description, l.currency,"
            " sum(l.debit) AS debit, sum(l.credit) AS credit"
            " FROM journal_lines l JOIN journal_entries e ON e.entry_id = l.entry_id"
            " JOIN source_events s ON s.event_id = e.event_id"
            " WHERE l.party_kind = :kind AND l.party_id = :party AND l.account = ANY(:accounts)"
            " AND (CAST(:start AS date) IS NULL OR l.posted_on >= :start) AND l.posted_on <= :end"
            " GROUP BY l.entry_id, e.event_id, e.posted_on, e.description, l.currency, s.occurred_at"
            " ORDER BY e.posted_on, s.occurred_at, l.entry_id"
        ),
        {
            "kind": party_kind.value,
            "party": party_id,
            "accounts": list(accounts),
            "start": start,
            "end": end,
        },
    )
    return [
        PostedLine(
            entry_id=str(r.entry_id),
            event_id=r.event_id,
            posted_on=r.posted_on,
            description=r.description,
            account=accounts[0],
            party_kind=party_kind,
            party_id=party_id,
            debit=r.debit,
            credit=r.credit,
            currency=r.currency,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class LineRow:
    """One journal line with its entry, as listed per account."""

    entry_id: str
    line_no: int
    event_id: str
    event_type: str
    posted_on: dt.date
    description: str
    account: str
    party_kind: PartyKind | None
    party_id: str | None
    currency: str
    debit: Decimal
    credit: Decimal


def _line_row(r: Any) -> LineRow:
    return LineRow(
        entry_id=str(r.entry_id),
        line_no=int(r.line_no),
        event_id=r.event_id,
        event_type=r.event_type,
        posted_on=r.posted_on,
        description=r.description,
        account=r.account,
        party_kind=PartyKind(r.party_kind) if r.party_kind else None,
        party_id=r.party_id,
        currency=r.currency,
        debit=r.debit,
        credit=r.credit,
    )


_LINE_COLUMNS = (
    "SELECT l.entry_id, l.line_no, e.event_id, e.event_type, l.posted_on, e.description, l.account,"
    " l.party_kind, l.party_id, l.currency, l.debit, l.credit"
    " FROM journal_lines l JOIN journal_entries e ON e.entry_id = l.entry_id"
)


async def account_lines(
    conn: AsyncConnection, code: str, after: tuple[dt.date, uuid.UUID, int] | None, limit: int
) -> list[LineRow]:
    """Lines on ``code`` in (date, entry id, line) order, after the keyset position ``after``."""
    if after is None:
        rows = await conn.execute(
            text(
                _LINE_COLUMNS + " WHERE l.account = :code"
                " ORDER BY l.posted_on, l.entry_id, l.line_no LIMIT :limit"
            ),
            {"code": code, "limit": limit},
        )
    else:
        rows = await conn.execute(
            text(
                _LINE_COLUMNS + " WHERE l.account = :code"
                " AND (l.posted_on, l.entry_id, l.line_no) > (:on, :entry, :line)"
                " ORDER BY l.posted_on, l.entry_id, l.line_no LIMIT :limit"
            ),
            {"code": code, "on": after[0], "entry": after[1], "line": after[2], "limit": limit},
        )
    return [_line_row(r) for r in rows]


@dataclass(frozen=True, slots=True)
class SourceEvent:
    event_id: str
    event_type: str
    source: str
    subject: str
    occurred_at: dt.datetime
    topic: str
    partition: int
    offset: int
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EntryRow:
    entry_id: str
    event_id: str
    event_type: str
    posted_on: dt.date
    description: str
    currency: str
    lines: list[LineRow]
    event: SourceEvent


async def get_entry(conn: AsyncConnection, entry_id: uuid.UUID) -> EntryRow | None:
    """An entry, its lines and the event it posts."""
    head = (
        await conn.execute(
            text(
                "SELECT e.entry_id, e.event_id, e.event_type, e.posted_on, e.description, e.currency,"
                " s.event_type AS source_type, s.source, s.subject, s.occurred_at, s.topic, s.partition,"
                " s.kafka_offset, s.data"
                " FROM journal_entries e JOIN source_events s ON s.event_id = e.event_id"
                " WHERE e.entry_id = :id"
            ),
            {"id": entry_id},
        )
    ).one_or_none()
    if head is None:
        return None
    lines = await conn.execute(
        text(_LINE_COLUMNS + " WHERE l.entry_id = :id ORDER BY l.line_no"), {"id": entry_id}
    )
    return EntryRow(
        entry_id=str(head.entry_id),
        event_id=head.event_id,
        event_type=head.event_type,
        posted_on=head.posted_on,
        description=head.description,
        currency=head.currency,
        lines=[_line_row(r) for r in lines],
        event=SourceEvent(
            event_id=head.event_id,
            event_type=head.source_type,
            source=head.source,
            subject=head.subject,
            occurred_at=head.occurred_at,
            topic=head.topic,
            partition=int(head.partition),
            offset=int(head.kafka_offset),
            data=_json_object(head.data),
        ),
    )


def _json_object(value: Any) -> dict[str, Any]:
    """A jsonb column as a dict (the driver may hand it over as text)."""
    decoded = orjson.loads(value) if isinstance(value, str | bytes) else value
    return dict(decoded)


async def source_event_count(conn: AsyncConnection) -> int:
    return int(await conn.scalar(text("SELECT count(*) FROM source_events")) or 0)
