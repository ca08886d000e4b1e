"""Fiscal periods: closing in order, reopening only the latest, the lock date, posting dates."""

import datetime as dt

import pytest

from backoffice_platform.errors import DomainError
from ledger_service.domain.periods import (
    FiscalPeriods,
    Period,
    fiscal_year_of,
    fiscal_year_periods,
    posting_date,
    require_open,
)

D = dt.date
AT = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
TODAY = D(2026, 3, 10)


def close(state: FiscalPeriods, text: str, books_ok: bool = True) -> None:
    state.apply(state.close(Period.parse(text), today=TODAY, books_ok=books_ok, by="acc", at=AT))


def rule_of(call) -> str | None:
    with pytest.raises(DomainError) as raised:
        call()
    return raised.value.rule


def test_periods_parse_and_know_their_days() -> None:
    feb = Period.parse("2024-02")
    assert (feb.first_day, feb.last_day, str(feb.next()), str(feb.previous())) == (
        D(2024, 2, 1),
        D(2024, 2, 29),
        "2024-03",
        "2024-01",
    )
    assert rule_of(lambda: Period.parse("2024-13")) == "period-invalid"
    assert fiscal_year_of(Period(2026, 3), first_month=7) == 2025
    assert [str(p) for p in fiscal_year_periods(2025, 7)][::11] == ["2025-07", "2026-06"]


def test_closing_sets_the_lock_date_and_goes_in_order() -> None:
    state = FiscalPeriods()
    close(state, "2026-01")
    assert state.lock_date == D(2026, 1, 31)
    assert rule_of(lambda: close(state, "2026-01")) == "period-already-closed"
    assert rule_of(lambda: close(state, "2026-03")) == "period-not-ended"
    state2 = FiscalPeriods(closed=[Period(2025, 11)])
    assert rule_of(lambda: close(state2, "2026-01")) == "earlier-period-open"
    close(state, "2026-02")
    assert state.lock_date == D(2026, 2, 28) and state.version == 2


def test_closing_is_refused_when_the_books_check_fails() -> None:
    assert rule_of(lambda: close(FiscalPeriods(), "2026-01", books_ok=False)) == "books-check-failed"


def test_only_the_latest_closed_period_reopens_with_a_reason() -> None:
    state = FiscalPeriods()
    close(state, "2026-01")
    close(state, "2026-02")
    assert rule_of(lambda: state.reopen(Period(2026, 1), reason="x", by="a", at=AT)) == "not-latest-closed"
    assert rule_of(lambda: state.reopen(Period(2026, 2), reason=" ", by="a", at=AT)) == "reason-required"
    assert rule_of(lambda: state.reopen(Period(2026, 3), reason="x", by="a", at=AT)) == "period-not-closed"
    reopened = state.reopen(Period(2026, 2), reason="late bill", by="a", at=AT)
    assert (reopened.previous_lock_date, reopened.lock_date) == (D(2026, 2, 28), D(2026, 1, 31))
    state.apply(reopened)
    assert state.lock_date == D(2026, 1, 31)


def test_posting_dates_move_past_the_lock_date_and_commands_are_refused() -> None:
    lock = D(2026, 1, 31)
    assert posting_date(D(2026, 1, 20), lock) == D(2026, 2, 1)
    assert posting_date(D(2026, 2, 3), lock) == D(2026, 2, 3)
    assert posting_date(D(2026, 1, 20), None) == D(2026, 1, 20)
    require_open(D(2026, 2, 1), lock, "received_on")
    with pytest.raises(DomainError) as raised:
        require_open(lock, lock, "received_on")
    assert (raised.value.rule, raised.value.field, raised.value.status) == (
        "period-closed",
        "received_on",
        409,
    )
