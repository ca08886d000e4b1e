"""Fiscal years, monthly periods and the lock date (pure rules, no I/O).

A fiscal year has twelve monthly periods and starts in ``first_month`` (1 = a calendar
year). Closing a period sets the lock date to its last day: nothing may post on or before
the lock date. Periods close in order: the first close may be any period that has ended
(everything before it is locked with it); every later close must be the period right after
the latest closed one. Only the latest closed period can be reopened, with a reason; the
lock date then moves back to the end of the period closed before it (or there is none).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from backoffice_events.catalog.ledger import PeriodClosed, PeriodReopened
from backoffice_platform.errors import Conflict, DomainError, InvalidInput

_PERIOD = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One monthly period, e.g. ``Period(2026, 1)`` is "2026-01"."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        """``YYYY-MM`` to a period; ``period-invalid`` (422) otherwise."""
        match = _PERIOD.match(text)
        if not match or int(match.group(1)) < 1:
            raise InvalidInput(f"{text!r} is not a period (YYYY-MM)", field=field, rule="period-invalid")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: dt.date) -> Period:
        """The period ``day`` falls in."""
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def last_day(self) -> dt.date:
        return self.next().first_day - dt.timedelta(days=1)

    def next(self) -> Period:
        return Period(self.year + 1, 1) if self.month == 12 else Period(self.year, self.month + 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)


def fiscal_year_of(period: Period, first_month: int = 1) -> int:
    """The fiscal year a period belongs to, named by the calendar year it starts in."""
    return period.year if period.month >= first_month else period.year - 1


def fiscal_year_periods(year: int, first_month: int = 1) -> list[Period]:
    """The twelve periods of fiscal year ``year`` (starting in ``first_month`` of ``year``)."""
    periods = [Period(year, first_month)]
    while len(periods) < 12:
        periods.append(periods[-1].next())
    return periods


def first_open_date(lock_date: dt.date | None) -> dt.date | None:
    """The first date that is not locked (None: nothing is locked)."""
    return None if lock_date is None else lock_date + dt.timedelta(days=1)


def require_open(on: dt.date, lock_date: dt.date | None, field: str) -> None:
    """Refuse a command that would post on ``on`` when ``on`` is on or before the lock date
    (rule ``period-closed``, 409, naming ``field``)."""
    if lock_date is not None and on <= lock_date:
        raise Conflict(
            f"{field} {on} is in a closed period (the books are locked up to {lock_date})",
            field=field,
            rule="period-closed",
            extra={"lock_date": lock_date.isoformat()},
        )


def posting_date(document_date: dt.date, lock_date: dt.date | None) -> dt.date:
    """The date an upstream event counts on: its own date, or the first open date when its
    own date is in a closed period (a late shipment's invoice keeps its document date)."""
    if lock_date is not None and document_date <= lock_date:
        return lock_date + dt.timedelta(days=1)
    return document_date


@dataclass
class FiscalPeriods:
    """The closed periods, in order, folded from ``PeriodClosed``/``PeriodReopened``."""

    closed: list[Period] = field(default_factory=list)
    version: int = 0

    @property
    def lock_date(self) -> dt.date | None:
        return self.closed[-1].last_day if self.closed else None

    def is_closed(self, period: Period) -> bool:
        """A period is closed when it ends on or before the lock date."""
        lock = self.lock_date
        return lock is not None and period.last_day <= lock

    def apply(self, event: PeriodClosed | PeriodReopened) -> None:
        period = Period.parse(event.period)
        if isinstance(event, PeriodClosed):
            self.closed.append(period)
        elif self.closed and self.closed[-1] == period:
            self.closed.pop()
        self.version += 1

    def close(
        self, period: Period, *, today: dt.date, books_ok: bool, by: str, at: dt.datetime
    ) -> PeriodClosed:
        """Close ``period``. Rules: ``period-not-ended`` (it must be over), ``period-already-closed``,
        ``earlier-period-open`` (the period before it must be closed first), ``books-check-failed``."""
        if period.last_day >= today:
            raise DomainError(
                f"period {period} ends on {period.last_day}; it can be closed from the day after",
                field="period",
                rule="period-not-ended",
            )
        if self.is_closed(period):
            raise Conflict(f"period {period} is already closed", field="period", rule="period-already-closed")
        if self.closed and period != self.closed[-1].next():
            raise Conflict(
                f"period {self.closed[-1].next()} must be closed before {period}",
                field="period",
                rule="earlier-period-open",
            )
        if not books_ok:
            raise Conflict(
                f"the books check fails at {period.last_day}; fix the books before closing {period}",
                field="period",
                rule="books-check-failed",
            )
        return PeriodClosed(
            period=str(period),
            first_day=period.first_day,
            last_day=period.last_day,
            lock_date=period.last_day,
            closed_by=by,
            closed_at=at,
        )

    def reopen(self, period: Period, *, reason: str, by: str, at: dt.datetime) -> PeriodReopened:
        """Reopen the latest closed period. Rules: ``reason-required``, ``period-not-closed``,
        ``not-latest-closed``."""
        if not reason.strip():
            raise InvalidInput("reopening a period needs a reason", field="reason", rule="reason-required")
        if not self.is_closed(period):
            raise Conflict(f"period {period} is not closed", field="period", rule="period-not-closed")
        latest = self.closed[-1]
        if period != latest:
            raise Conflict(
                f"only the latest closed period ({latest}) can be reopened",
                field="period",
                rule="not-latest-closed",
            )
        earlier = self.closed[-2].last_day if len(self.closed) > 1 else None
        return PeriodReopened(
            period=str(period),
            previous_lock_date=latest.last_day,
            lock_date=earlier,
            reopened_by=by,
            reopened_at=at,
            reason=reason.strip(),
        )
