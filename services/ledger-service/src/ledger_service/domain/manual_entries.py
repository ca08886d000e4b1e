"""Manual journal entries (opening balances, bank fees, accruals, corrections): pure rules.

An entry is proposed by one person and approved by ANOTHER (``approver-is-author``); it is
posted on approval, on its own date, which must be in an open period. It is never edited:
a posted entry is corrected by its reversal, the mirror entry (debits and credits swapped)
on a date in an open period, linked both ways. A proposed entry may be rejected instead.

Rules on the lines: at least two (``entry-too-few-lines``), each a positive amount
(``amount-not-positive``) on an account the chart knows (``account-unknown``) that is not a
control account kept per party by billing's documents (``account-is-control``: AR, AP and
unapplied cash must equal their open items), and debits equal credits in every currency
(``entry-unbalanced``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.ledger import (
    ManualJournalEntryApproved,
    ManualJournalEntryProposed,
    ManualJournalEntryRejected,
    ManualJournalEntryReversed,
    ManualJournalLine,
)
from backoffice_events.money import MINOR_UNITS
from backoffice_platform.errors import Conflict, DomainError, Forbidden, InvalidInput

from .accounts import DEFAULT_CHART, ChartOfAccounts
from .entries import JournalEntry, JournalLine, entry_id_for
from .errors import PostingError
from .periods import require_open

MANUAL_POSTED: tuple[type[EventModel], ...] = (ManualJournalEntryApproved, ManualJournalEntryReversed)
"""Ledger events that post manual entries into the journal."""


class EntryStatus(StrEnum):
    PROPOSED = "proposed"
    POSTED = "posted"
    REJECTED = "rejected"
    REVERSED = "reversed"


def check_lines(lines: Sequence[ManualJournalLine], chart: ChartOfAccounts = DEFAULT_CHART) -> None:
    """Refuse lines that cannot make a manual entry (see the module's rules)."""
    if len(lines) < 2:
        raise InvalidInput(
            "a journal entry needs at least two lines", field="lines", rule="entry-too-few-lines"
        )
    sums: dict[str, Decimal] = {}
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        try:
            account = chart.account(line.account)
        except PostingError as exc:
            raise InvalidInput(exc.detail, field=f"{where}.account", rule="account-unknown") from exc
        if account.subledger is not None:
            raise InvalidInput(
                f"account {account.code} ({account.name}) is kept per {account.subledger} by billing's"
                " documents and takes no manual entries",
                field=f"{where}.account",
                rule="account-is-control",
            )
        amount = line.amount
        minor = MINOR_UNITS.get(amount.currency)
        if minor is None:
            raise InvalidInput(
                f"unknown currency {amount.currency!r}",
                field=f"{where}.amount.currency",
                rule="currency-unknown",
            )
        if not amount.amount > 0:
            raise InvalidInput(
                f"{where} amount {amount} must be positive",
                field=f"{where}.amount",
                rule="amount-not-positive",
            )
        if amount.amount != round(amount.amount, minor):
            raise InvalidInput(
                f"{where} amount {amount} has more than {minor} decimals",
                field=f"{where}.amount",
                rule="too-many-decimals",
            )
        signed = amount.amount if line.side == "debit" else -amount.amount
        sums[amount.currency] = sums.get(amount.currency, Decimal(0)) + signed
    off = {currency: net for currency, net in sorted(sums.items()) if net != 0}
    if off:
        detail = "; ".join(f"{c} debits exceed credits by {n}" for c, n in off.items())
        raise InvalidInput(f"the entry does not balance: {detail}", field="lines", rule="entry-unbalanced")


def mirror(lines: Sequence[ManualJournalLine]) -> list[ManualJournalLine]:
    """The lines with debits and credits swapped (a reversal)."""
    return [
        ManualJournalLine(account=x.account, side="credit" if x.side == "debit" else "debit", amount=x.amount)
        for x in lines
    ]


@dataclass
class ManualEntry:
    """One manual journal entry, folded from its events."""

    entry_id: str
    entry_date: dt.date
    description: str
    lines: list[ManualJournalLine]
    proposed_by: str
    status: EntryStatus = EntryStatus.PROPOSED
    approved_by: str | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None
    reversal_entry_id: str | None = None
    reverses: str | None = None  # set on a reversal: the entry it mirrors
    version: int = 0
    history: list[EventModel] = field(default_factory=list)

    @classmethod
    def rebuild(cls, events: Sequence[EventModel]) -> ManualEntry:
        first = events[0]
        assert isinstance(first, ManualJournalEntryProposed)
        entry = cls(first.entry_id, first.entry_date, first.description, list(first.lines), first.proposed_by)
        entry.version = 1
        for event in events[1:]:
            entry.apply(event)
        return entry

    def apply(self, event: EventModel) -> None:
        match event:
            case ManualJournalEntryApproved():
                self.status, self.approved_by = EntryStatus.POSTED, event.approved_by
            case ManualJournalEntryRejected():
                self.status, self.rejected_by = EntryStatus.REJECTED, event.rejected_by
                self.rejection_reason = event.reason
            case ManualJournalEntryReversed():
                self.status, self.reversal_entry_id = EntryStatus.REVERSED, event.reversal_entry_id
        self.version += 1

    def approve(self, approver: str, lock_date: dt.date | None) -> ManualJournalEntryApproved:
        """Approve and post. Rules ``entry-not-proposed``, ``approver-is-author`` (403), ``period-closed``."""
        self._must_be(EntryStatus.PROPOSED, "entry-not-proposed")
        if approver == self.proposed_by:
            raise Forbidden(
                f"{approver} proposed entry {self.entry_id} and cannot approve it too",
                field="approved_by",
                rule="approver-is-author",
            )
        require_open(self.entry_date, lock_date, "entry_date")
        return ManualJournalEntryApproved(
            entry_id=self.entry_id,
            entry_date=self.entry_date,
            description=self.description,
            lines=self.lines,
            proposed_by=self.proposed_by,
            approved_by=approver,
        )

    def reject(self, by: str, reason: str) -> ManualJournalEntryRejected:
        """Reject a proposed entry. Rules ``entry-not-proposed``, ``reason-required``."""
        self._must_be(EntryStatus.PROPOSED, "entry-not-proposed")
        if not reason.strip():
            raise InvalidInput("rejecting an entry needs a reason", field="reason", rule="reason-required")
        return ManualJournalEntryRejected(entry_id=self.entry_id, rejected_by=by, reason=reason.strip())

    def reverse(
        self, reversal_entry_id: str, on: dt.date, by: str, reason: str, lock_date: dt.date | None
    ) -> ManualJournalEntryReversed:
        """Post the mirror entry on ``on``. Rules ``entry-not-posted``, ``reason-required``,
        ``reversal-before-entry``, ``period-closed``."""
        self._must_be(EntryStatus.POSTED, "entry-not-posted")
        if not reason.strip():
            raise InvalidInput("a reversal needs a reason", field="reason", rule="reason-required")
        if on < self.entry_date:
            raise InvalidInput(
                f"the reversal date {on} is before the entry's date {self.entry_date}",
                field="date",
                rule="reversal-before-entry",
            )
        require_open(on, lock_date, "date")
        return ManualJournalEntryReversed(
            entry_id=self.entry_id,
            reversal_entry_id=reversal_entry_id,
            reversed_on=on,
            description=f"Reversal of {self.entry_id}: {reason.strip()}",
            lines=mirror(self.lines),
            reversed_by=by,
            reason=reason.strip(),
        )

    def _must_be(self, status: EntryStatus, rule: str) -> None:
        if self.status is not status:
            raise Conflict(
                f"entry {self.entry_id} is {self.status}, not {status}", field="entry_id", rule=rule
            )


def propose(
    entry_id: str,
    entry_date: dt.date,
    description: str,
    lines: Sequence[ManualJournalLine],
    by: str,
    lock_date: dt.date | None,
    chart: ChartOfAccounts = DEFAULT_CHART,
) -> ManualJournalEntryProposed:
    """Propose an entry. Rules: the lines' (``check_lines``), ``description-required``, ``period-closed``."""
    if not description.strip():
        raise InvalidInput(
            "a journal entry needs a description", field="description", rule="description-required"
        )
    check_lines(lines, chart)
    require_open(entry_date, lock_date, "date")
    return ManualJournalEntryProposed(
        entry_id=entry_id,
        entry_date=entry_date,
        description=description.strip(),
        lines=list(lines),
        proposed_by=by,
    )


def post_manual(event: EventModel, event_id: str) -> list[JournalEntry]:
    """The journal entries of an approved entry or a reversal, one per currency, dated by the
    entry's own date (the adapter may move an upstream date, never a manual one: it was
    checked open when the command ran)."""
    match event:
        case ManualJournalEntryApproved():
            on, text = event.entry_date, f"Manual entry {event.entry_id}: {event.description}"
        case ManualJournalEntryReversed():
            on, text = event.reversed_on, f"Manual entry {event.reversal_entry_id}: {event.description}"
        case _:
            raise DomainError(f"{event.type} posts no manual entry")
    by_currency: dict[str, list[JournalLine]] = {}
    for line in event.lines:
        money = line.amount
        made = (
            JournalLine.debiting(line.account, money)
            if line.side == "debit"
            else JournalLine.crediting(line.account, money)
        )
        by_currency.setdefault(money.currency, []).append(made)
    return [
        JournalEntry(
            entry_id=entry_id_for(event_id, currency),
            event_id=event_id,
            event_type=event.type,
            posted_on=on,
            description=text,
            lines=tuple(lines),
        )
        for currency, lines in sorted(by_currency.items())
    ]
