"""Events the ledger itself publishes (topic ``backoffice.ledger``): its chart of accounts,
its fiscal periods and lock dates, and manual journal entries."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from ..money import Money
from .base import EventModel, register
from .orders import Part
from .topics import LEDGER

# fiscal periods -------------------------------------------------------------------------


class _FiscalPeriods(EventModel):
    """Closing and reopening happen on ONE stream (``fiscal-periods``), so they are ordered."""

    topic: ClassVar[str] = LEDGER
    aggregate: ClassVar[str] = "fiscal_periods"
    period: str  # "YYYY-MM"


@register
class PeriodClosed(_FiscalPeriods):
    """A monthly period was closed: nothing may post on or before ``lock_date`` any more."""

    event_type: ClassVar[str] = "backoffice.ledger.period_closed"
    first_day: dt.date
    last_day: dt.date
    lock_date: dt.date
    closed_by: str
    closed_at: dt.datetime


@register
class PeriodReopened(_FiscalPeriods):
    """The latest closed period was reopened; the lock date moves back to ``lock_date``
    (the end of the period closed before it, or none)."""

    event_type: ClassVar[str] = "backoffice.ledger.period_reopened"
    previous_lock_date: dt.date
    lock_date: dt.date | None
    reopened_by: str
    reopened_at: dt.datetime
    reason: str


# manual journal entries -----------------------------------------------------------------


class ManualJournalLine(Part):
    """One line of a manual journal entry: ``amount`` (positive) on the ``side`` of ``account``."""

    account: str
    side: Literal["debit", "credit"]
    amount: Money


class _ManualEntry(EventModel):
    topic: ClassVar[str] = LEDGER
    aggregate: ClassVar[str] = "journal_entry"
    entry_id: str


@register
class ManualJournalEntryProposed(_ManualEntry):
    event_type: ClassVar[str] = "backoffice.ledger.journal_entry_proposed"
    entry_date: dt.date
    description: str
    lines: list[ManualJournalLine]
    proposed_by: str


@register
class ManualJournalEntryApproved(_ManualEntry):
    """Approved by a second person and posted on ``entry_date``; carries the whole entry so
    the books can be rebuilt from this event alone."""

    event_type: ClassVar[str] = "backoffice.ledger.journal_entry_approved"
    entry_date: dt.date
    description: str
    lines: list[ManualJournalLine]
    proposed_by: str
    approved_by: str


@register
class ManualJournalEntryRejected(_ManualEntry):
    event_type: ClassVar[str] = "backoffice.ledger.journal_entry_rejected"
    rejected_by: str
    reason: str


@register
class ManualJournalEntryReversed(_ManualEntry):
    """A posted entry was corrected by its mirror (``reversal_entry_id``, debits and credits
    swapped) posted on ``reversed_on``; ``lines`` are the mirror's lines."""

    event_type: ClassVar[str] = "backoffice.ledger.journal_entry_reversed"
    reversal_entry_id: str
    reversed_on: dt.date
    description: str
    lines: list[ManualJournalLine]
    reversed_by: str
    reason: str
