"""The ledger's invariant check, for the HTTP endpoint and the operator CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from backoffice_platform.metrics import LEDGER_INVARIANTS_OK

from ..adapters import queries
from ..adapters.books import read_books
from ..adapters.chart import RecordedDeadLetter, dead_letters
from ..domain import ChartOfAccounts, check_invariants

SERVICE = "ledger"


def incomplete(letters: Sequence[RecordedDeadLetter]) -> list[str]:
    """One ``books-incomplete`` violation per event the ledger dead-lettered and has not taken since."""
    return [
        f"books-incomplete: {d.event_type or 'unreadable record'} {d.event_id or f'{d.topic}@{d.offset}'}"
        f" was dead-lettered: {d.reason}"
        for d in letters
    ]


async def missing_events(engine: AsyncEngine) -> list[RecordedDeadLetter]:
    """The events the ledger dead-lettered and has not posted since (a replay that posts clears one)."""
    async with engine.connect() as conn:
        return await dead_letters(conn)


async def check_books(engine: AsyncEngine, as_of: dt.date) -> list[str]:
    """What is off in the active books at ``as_of`` (empty when all is well): no event is
    missing (any dead letter of the ledger is ``books-incomplete``); every entry balances per
    currency; the AR, AP and unapplied-cash control accounts equal the sum of their subledgers;
    the trial balance nets to zero; each customer's AR (and supplier's AP) equals their open
    items. Sets the ``backoffice_ledger_invariants_ok`` gauge."""
    missing = await missing_events(engine)
    async with read_books(engine) as conn:
        balances = await queries.account_balances(conn, as_of)
        subledgers = await queries.subledger_balances(conn, as_of)
        unbalanced = await queries.unbalanced_entries(conn, as_of)
        items = await queries.open_items_at(conn, as_of)
        chart = ChartOfAccounts(await queries.all_accounts(conn))
    violations = incomplete(missing) + check_invariants(
        balances, subledgers, unbalanced, chart=chart, open_items=items, as_of=as_of
    )
    LEDGER_INVARIANTS_OK.labels(SERVICE).set(0 if violations else 1)
    return violations
