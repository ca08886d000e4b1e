"""Balances and reports over posted lines: account and subledger balances at any date,
trial balance, statements with a running balance, and the ledger's invariant check.

The adapter may compute balances with SQL instead; these functions define what the numbers
mean and are what a rebuild is compared against.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from backoffice_events.money import Money, format_amount
from backoffice_platform.errors import InvalidInput

from .accounts import DEFAULT_CHART, AccountRole, ChartOfAccounts, PartyKind, Side
from .entries import JournalEntry
from .errors import PostingError
from .open_items import OpenItem, open_amounts_by_party

_ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class PostedLine:
    """A journal line together with its entry's id, date and description: the row shape
    balances and statements are computed from."""

    entry_id: str
    event_id: str
    posted_on: dt.date
    description: str
    account: str
    party_kind: PartyKind | None
    party_id: str | None
    debit: Decimal
    credit: Decimal
    currency: str


def posted_lines(entries: Iterable[JournalEntry]) -> list[PostedLine]:
    """Flatten entries into posted lines, in entry then line order."""
    return [
        PostedLine(
            entry_id=entry.entry_id,
            event_id=entry.event_id,
            posted_on=entry.posted_on,
            description=entry.description,
            account=line.account,
            party_kind=line.party_kind,
            party_id=line.party_id,
            debit=line.debit,
            credit=line.credit,
            currency=line.currency,
        )
        for entry in entries
        for line in entry.lines
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountBalance:
    """Debit and credit totals of one account in one currency."""

    account: str
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        """Debit minus credit (positive: a debit balance)."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True, kw_only=True)
class SubledgerBalance:
    """Debit and credit totals of one party on one control account in one currency."""

    account: str
    party_kind: PartyKind
    party_id: str
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        """Debit minus credit (AR positive when the customer owes; AP negative when we owe)."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryTotal:
    """Debit and credit totals of one entry in one currency, as stored."""

    entry_id: str
    currency: str
    debit: Decimal
    credit: Decimal


def _upto(lines: Iterable[PostedLine], as_of: dt.date | None) -> Iterable[PostedLine]:
    return lines if as_of is None else (line for line in lines if line.posted_on <= as_of)


def account_balances(lines: Iterable[PostedLine], as_of: dt.date | None = None) -> list[AccountBalance]:
    """Balance per (account, currency) of lines posted on or before ``as_of`` (all if None)."""
    sums: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for line in _upto(lines, as_of):
        key = (line.account, line.currency)
        debit, credit = sums.get(key, (_ZERO, _ZERO))
        sums[key] = (debit + line.debit, credit + line.credit)
    return [
        AccountBalance(account=account, currency=currency, debit=d, credit=c)
        for (account, currency), (d, c) in sorted(sums.items())
    ]


def subledger_balances(lines: Iterable[PostedLine], as_of: dt.date | None = None) -> list[SubledgerBalance]:
    """Balance per (account, party, currency) of the lines that name a party."""
    sums: dict[tuple[str, PartyKind, str, str], tuple[Decimal, Decimal]] = {}
    for line in _upto(lines, as_of):
        if line.party_kind is None or line.party_id is None:
            continue
        key = (line.account, line.party_kind, line.party_id, line.currency)
        debit, credit = sums.get(key, (_ZERO, _ZERO))
        sums[key] = (debit + line.debit, credit + line.credit)
    return [
        SubledgerBalance(account=a, party_kind=k, party_id=p, currency=c, debit=d, credit=cr)
        for (a, k, p, c), (d, cr) in sorted(sums.items())
    ]


def entry_totals(entries: Iterable[JournalEntry]) -> list[EntryTotal]:
    """Debit and credit totals per (entry, currency)."""
    result: list[EntryTotal] = []
    for entry in entries:
        sums: dict[str, tuple[Decimal, Decimal]] = {}
        for line in entry.lines:
            debit, credit = sums.get(line.currency, (_ZERO, _ZERO))
            sums[line.currency] = (debit + line.debit, credit + line.credit)
        result.extend(
            EntryTotal(entry_id=entry.entry_id, currency=c, debit=d, credit=cr)
            for c, (d, cr) in sorted(sums.items())
        )
    return result


# trial balance -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialBalanceRow:
    account: str
    name: str
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        return self.debit - self.credit


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialBalanceTotal:
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def net(self) -> Decimal:
        """Zero when the books balance in this currency."""
        return self.debit - self.credit


@dataclass(frozen=True, slots=True, kw_only=True)
class TrialBalance:
    rows: tuple[TrialBalanceRow, ...]
    totals: tuple[TrialBalanceTotal, ...]

    @property
    def is_balanced(self) -> bool:
        """Whether every currency nets to zero."""
        return all(total.net == 0 for total in self.totals)


def trial_balance(balances: Iterable[AccountBalance], chart: ChartOfAccounts = DEFAULT_CHART) -> TrialBalance:
    """Trial balance per account and currency, with totals per currency.

    ``balances`` may hold several rows for one account and currency (e.g. per party); they
    are added up. Account names come from ``chart``; unknown codes are shown by code.
    """
    sums: dict[tuple[str, str], tuple[Decimal, Decimal]] = {}
    for balance in balances:
        key = (balance.currency, balance.account)
        debit, credit = sums.get(key, (_ZERO, _ZERO))
        sums[key] = (debit + balance.debit, credit + balance.credit)
    rows = tuple(
        TrialBalanceRow(
            account=account, name=_account_name(chart, account), currency=currency, debit=d, credit=c
        )
        for (currency, account), (d, c) in sorted(sums.items())
    )
    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        debit, credit = totals.get(row.currency, (_ZERO, _ZERO))
        totals[row.currency] = (debit + row.debit, credit + row.credit)
    return TrialBalance(
        rows=rows,
        totals=tuple(
            TrialBalanceTotal(currency=c, debit=d, credit=cr) for c, (d, cr) in sorted(totals.items())
        ),
    )


def _account_name(chart: ChartOfAccounts, code: str) -> str:
    try:
        return chart.account(code).name
    except PostingError:
        return code  # a report still shows what was booked, even on an unknown code


# statements --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class StatementLine:
    posted_on: dt.date
    entry_id: str
    description: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    currency: str
    opening: Decimal
    lines: tuple[StatementLine, ...]
    closing: Decimal


def statement(lines: Iterable[PostedLine], opening: Money, *, normal_side: Side = Side.DEBIT) -> Statement:
    """A statement of ``lines`` (already chosen: one account and/or party, one period) with a
    running balance that starts at ``opening``.

    Lines are ordered by date, keeping the given order within a day. The balance grows with
    debits for a debit-normal account (a customer's AR) and with credits for a credit-normal
    one (a supplier's AP). Raises ``InvalidInput`` (``currency-mismatch``) for a line in
    another currency than ``opening``.
    """
    ordered = sorted(lines, key=lambda line: line.posted_on)
    sign = 1 if normal_side is Side.DEBIT else -1
    balance = opening.amount
    result: list[StatementLine] = []
    for line in ordered:
        if line.currency != opening.currency:
            raise InvalidInput(
                f"statement is in {opening.currency} but entry {line.entry_id} is in {line.currency}",
                field="currency",
                rule="currency-mismatch",
            )
        balance += sign * (line.debit - line.credit)
        result.append(
            StatementLine(
                posted_on=line.posted_on,
                entry_id=line.entry_id,
                description=line.description,
                debit=line.debit,
                credit=line.credit,
                balance=balance,
            )
        )
    return Statement(currency=opening.currency, opening=opening.amount, lines=tuple(result), closing=balance)


# invariants --------------------------------------------------------------------------


def _fmt(amount: Decimal, currency: str) -> str:
    return f"{format_amount(amount, currency)} {currency}"


_CONTROL_ROLES = (
    (AccountRole.ACCOUNTS_RECEIVABLE, "AR", "customer"),
    (AccountRole.ACCOUNTS_PAYABLE, "AP", "supplier"),
    (AccountRole.UNAPPLIED_CASH, "unapplied cash", "customer"),
)


def check_invariants(
    account_balances: Iterable[AccountBalance],
    subledger_balances: Iterable[SubledgerBalance],
    entries: Iterable[EntryTotal],
    *,
    chart: ChartOfAccounts = DEFAULT_CHART,
    open_items: Iterable[OpenItem] | None = None,
    as_of: dt.date | None = None,
) -> list[str]:
    """Human-readable violations of the ledger's invariants; an empty list means all hold.

    Checks that every entry balances per currency; that the AR, AP and unapplied-cash
    control accounts equal the sum of their subledgers per currency; that the trial balance
    nets to zero per currency; and, when ``open_items`` is given, that each customer's AR
    (and each supplier's AP) equals the open amount of their items at ``as_of``. The
    balances passed in must be those at the same ``as_of``.
    """
    violations: list[str] = []

    for total in entries:
        if total.debit != total.credit:
            violations.append(
                f"entry {total.entry_id} is unbalanced in {total.currency}: debits"
                f" {_fmt(total.debit, total.currency)} != credits {_fmt(total.credit, total.currency)}"
            )

    balances = list(account_balances)
    subledgers = list(subledger_balances)

    for role, label, party in _CONTROL_ROLES:
        code = chart.code_for(role)
        control: dict[str, Decimal] = {}
        for balance in balances:
            if balance.account == code:
                control[balance.currency] = control.get(balance.currency, _ZERO) + balance.net
        parties: dict[str, Decimal] = {}
        for sub in subledgers:
            if sub.account == code:
                parties[sub.currency] = parties.get(sub.currency, _ZERO) + sub.net
        for currency in sorted(control.keys() | parties.keys()):
            ledger, sub_sum = control.get(currency, _ZERO), parties.get(currency, _ZERO)
            if ledger != sub_sum:
                violations.append(
                    f"{label} control account {code} in {currency} nets {_fmt(ledger, currency)} but the"
                    f" {party} subledgers sum to {_fmt(sub_sum, currency)}"
                )

    nets: dict[str, Decimal] = {}
    for balance in balances:
        nets[balance.currency] = nets.get(balance.currency, _ZERO) + balance.net
    for currency, net in sorted(nets.items()):
        if net != 0:
            violations.append(
                f"trial balance in {currency} does not net to zero: off by {_fmt(net, currency)}"
            )

    if open_items is not None:
        violations.extend(_check_open_items(subledgers, open_items, as_of, chart))
    return violations


def _check_open_items(
    subledgers: list[SubledgerBalance],
    open_items: Iterable[OpenItem],
    as_of: dt.date | None,
    chart: ChartOfAccounts,
) -> list[str]:
    # Open items count what a party owes as positive; AR is debit-normal, AP credit-normal.
    ar, ap = chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), chart.code_for(AccountRole.ACCOUNTS_PAYABLE)
    ledger: dict[tuple[PartyKind, str, str], Decimal] = {}
    for sub in subledgers:
        if sub.account == ar and sub.party_kind is PartyKind.CUSTOMER:
            amount = sub.net
        elif sub.account == ap and sub.party_kind is PartyKind.SUPPLIER:
            amount = -sub.net
        else:
            continue
        key = (sub.party_kind, sub.party_id, sub.currency)
        ledger[key] = ledger.get(key, _ZERO) + amount
    items = open_amounts_by_party(open_items, as_of)
    violations: list[str] = []
    for kind, party_id, currency in sorted(ledger.keys() | items.keys()):
        key = (kind, party_id, currency)
        booked, open_amount = ledger.get(key, _ZERO), items.get(key, _ZERO)
        if booked != open_amount:
            label = "AR" if kind is PartyKind.CUSTOMER else "AP"
            what = "invoices" if kind is PartyKind.CUSTOMER else "bills"
            violations.append(
                f"{label} of {kind} {party_id} in {currency} is {_fmt(booked, currency)} but their open"
                f" {what} amount to {_fmt(open_amount, currency)}"
            )
    return violations
