"""Questions asked of the books (always the active generation, at any ``as_of``)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import InvalidInput, NotFound
from backoffice_platform.pagination import decode_cursor, encode_cursor

from ..adapters import queries
from ..adapters.books import read_books
from ..adapters.queries import EntryRow, LineRow
from ..domain import (
    DEFAULT_CHART,
    Account,
    AccountBalance,
    AccountRole,
    AgingReport,
    ChartOfAccounts,
    ItemKind,
    PartyKind,
    Side,
    Statement,
    TrialBalance,
    aging,
    statement,
    trial_balance,
)

_ZERO = Decimal(0)
AR = DEFAULT_CHART.code_for(AccountRole.ACCOUNTS_RECEIVABLE)
AP = DEFAULT_CHART.code_for(AccountRole.ACCOUNTS_PAYABLE)
UNAPPLIED = DEFAULT_CHART.code_for(AccountRole.UNAPPLIED_CASH)


def _unknown_account(code: str) -> NotFound:
    return NotFound(f"the chart of accounts has no account {code}", field="code", rule="account-unknown")


def _cursor_value(cursor: str | None, *names: str) -> dict[str, Any] | None:
    position = decode_cursor(cursor)
    if position is not None and not all(isinstance(position.get(n), str | int) for n in names):
        raise InvalidInput("cursor is not one this API issued", field="cursor", rule="cursor-invalid")
    return position


async def chart(ctx: ServiceContext, cursor: str | None, limit: int) -> tuple[list[Account], str | None]:
    """A page of the chart of accounts, by code."""
    position = _cursor_value(cursor, "after")
    after = str(position["after"]) if position else None
    async with read_books(ctx.engine) as conn:
        accounts = await queries.list_accounts(conn, after, limit + 1)
    more = len(accounts) > limit
    page = accounts[:limit]
    return page, encode_cursor({"after": page[-1].code}) if more else None


@dataclass(frozen=True, slots=True)
class AccountBalanceReport:
    account: Account
    as_of: dt.date
    party_id: str | None
    balances: list[AccountBalance]


async def account_balance(
    ctx: ServiceContext, code: str, as_of: dt.date, party_id: str | None
) -> AccountBalanceReport:
    """An account's debits, credits and balance per currency at ``as_of``; with ``party_id``
    only that party's subledger (control accounts only)."""
    async with read_books(ctx.engine) as conn:
        account = await queries.get_account(conn, code)
        if account is None:
            raise _unknown_account(code)
        if party_id is not None and account.subledger is None:
            raise InvalidInput(
                f"account {code} ({account.name}) keeps no subledger per party",
                field="party_id",
                rule="account-has-no-subledger",
            )
        balances = await queries.account_balance(conn, code, as_of, party_id)
    return AccountBalanceReport(account, as_of, party_id, balances)


@dataclass(frozen=True, slots=True)
class CustomerBalance:
    """What a customer owes in one currency: open AR less the cash we hold unapplied."""

    currency: str
    receivable: Decimal
    unapplied_cash: Decimal

    @property
    def net(self) -> Decimal:
        return self.receivable - self.unapplied_cash


@dataclass(frozen=True, slots=True)
class SupplierBalance:
    """What we owe a supplier in one currency (AP, credit balance shown positive)."""

    currency: str
    payable: Decimal


async def customer_balance(ctx: ServiceContext, customer_id: str, as_of: dt.date) -> list[CustomerBalance]:
    """The customer's AR and unapplied-cash subledgers at ``as_of``, per currency."""
    async with read_books(ctx.engine) as conn:
        rows = await queries.subledger_balances(
            conn, as_of, party_kind=PartyKind.CUSTOMER, party_id=customer_id
        )
    receivable: dict[str, Decimal] = {}
    unapplied: dict[str, Decimal] = {}
    for row in rows:
        if row.account == AR:
            receivable[row.currency] = receivable.get(row.currency, _ZERO) + row.net
        elif row.account == UNAPPLIED:
            unapplied[row.currency] = unapplied.get(row.currency, _ZERO) - row.net
    return [
        CustomerBalance(c, receivable.get(c, _ZERO), unapplied.get(c, _ZERO))
        for c in sorted(receivable.keys() | unapplied.keys())
    ]


async def supplier_balance(ctx: ServiceContext, supplier_id: str, as_of: dt.date) -> list[SupplierBalance]:
    """The supplier's AP subledger at ``as_of``, per currency."""
    async with read_books(ctx.engine) as conn:
        rows = await queries.subledger_balances(
            conn, as_of, party_kind=PartyKind.SUPPLIER, party_id=supplier_id, account=AP
        )
    return [SupplierBalance(r.currency, -r.net) for r in rows]


async def aging_at(ctx: ServiceContext, party_kind: PartyKind, as_of: dt.date) -> AgingReport:
    """Receivables (customers' invoices) or payables (approved supplier bills) aged at ``as_of``."""
    kind = ItemKind.INVOICE if party_kind is PartyKind.CUSTOMER else ItemKind.SUPPLIER_BILL
    async with read_books(ctx.engine) as conn:
        items = await queries.open_items_at(conn, as_of, kind=kind, issued_only=True)
    return aging(items, as_of)


async def trial_balance_at(ctx: ServiceContext, as_of: dt.date) -> TrialBalance:
    """Every account's debits and credits per currency at ``as_of``, with totals."""
    async with read_books(ctx.engine) as conn:
        balances = await queries.account_balances(conn, as_of)
        chart_now = ChartOfAccounts(await queries.all_accounts(conn))
    return trial_balance(balances, chart_now)


async def party_statement(
    ctx: ServiceContext, party_kind: PartyKind, party_id: str, start: dt.date | None, end: dt.date
) -> list[Statement]:
    """Statements (one per currency) with a running balance from ``start`` to ``end``.

    A customer's covers AR and unapplied cash together (debit-normal: the balance is what
    the customer owes, less cash of theirs we hold); a supplier's covers AP (credit-normal:
    the balance is what we owe them). The opening balance is the one before ``start``.
    """
    if start is not None and start > end:
        raise InvalidInput(f"from {start} is after to {end}", field="from", rule="period-inverted")
    if party_kind is PartyKind.CUSTOMER:
        accounts, side = [AR, UNAPPLIED], Side.DEBIT
    else:
        accounts, side = [AP], Side.CREDIT
    sign = 1 if side is Side.DEBIT else -1
    async with read_books(ctx.engine) as conn:
        opening = await queries.party_opening(conn, party_kind, party_id, accounts, start)
        lines = await queries.party_lines(conn, party_kind, party_id, accounts, start, end)
    currencies = sorted(opening.keys() | {line.currency for line in lines})
    return [
        statement(
            [line for line in lines if line.currency == currency],
            Money(sign * opening.get(currency, _ZERO), currency),
            normal_side=side,
        )
        for currency in currencies
    ]


async def account_entries(
    ctx: ServiceContext, code: str, cursor: str | None, limit: int
) -> tuple[list[LineRow], str | None]:
    """A page of the lines posted to ``code``, oldest first."""
    position = _cursor_value(cursor, "on", "entry", "line")
    after: tuple[dt.date, uuid.UUID, int] | None = None
    if position is not None:
        try:
            after = (
                dt.date.fromisoformat(str(position["on"])),
                uuid.UUID(str(position["entry"])),
                int(position["line"]),
            )
        except ValueError:
            raise InvalidInput(
                "cursor is not one this API issued", field="cursor", rule="cursor-invalid"
            ) from None
    async with read_books(ctx.engine) as conn:
        if await queries.get_account(conn, code) is None:
            raise _unknown_account(code)
        rows = await queries.account_lines(conn, code, after, limit + 1)
    more = len(rows) > limit
    page = rows[:limit]
    next_cursor = None
    if more:
        last = page[-1]
        next_cursor = encode_cursor(
            {"on": last.posted_on.isoformat(), "entry": last.entry_id, "line": last.line_no}
        )
    return page, next_cursor


async def entry_with_event(ctx: ServiceContext, entry_id: uuid.UUID) -> EntryRow:
    """One journal entry, its lines and the event that caused it."""
    async with read_books(ctx.engine) as conn:
        found = await queries.get_entry(conn, entry_id)
    if found is None:
        raise NotFound(f"no journal entry {entry_id}", field="entry_id", rule="entry-unknown")
    return found
