"""Business dates in the company's time zone: the clock and the one instant-to-date rule."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from backoffice_platform.clock import (
    FixedClock,
    SystemClock,
    business_date,
    company_zone,
    start_of_day,
)
from backoffice_platform.settings import ServiceSettings

CPH = company_zone("Europe/Copenhagen")


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # New year's eve in winter time (UTC+1): 23:30 UTC is already 00:30 on 1 January.
        (utc(2025, 12, 31, 23, 30), dt.date(2026, 1, 1)),
        (utc(2025, 12, 31, 22, 59, 59), dt.date(2025, 12, 31)),
        (utc(2025, 12, 31, 23, 0), dt.date(2026, 1, 1)),
        # Summer time (UTC+2): the day starts at 22:00 UTC.
        (utc(2026, 6, 30, 21, 59), dt.date(2026, 6, 30)),
        (utc(2026, 6, 30, 22, 0), dt.date(2026, 7, 1)),
        # DST starts 29 March 2026 at 01:00 UTC; the evening before is still UTC+1.
        (utc(2026, 3, 28, 23, 0), dt.date(2026, 3, 29)),
        (utc(2026, 3, 29, 21, 59), dt.date(2026, 3, 29)),
        (utc(2026, 3, 29, 22, 0), dt.date(2026, 3, 30)),
        # DST ends 25 October 2026 at 01:00 UTC; that evening midnight is 23:00 UTC again.
        (utc(2026, 10, 24, 22, 0), dt.date(2026, 10, 25)),
        (utc(2026, 10, 25, 22, 59), dt.date(2026, 10, 25)),
        (utc(2026, 10, 25, 23, 0), dt.date(2026, 10, 26)),
    ],
)
def test_business_date_in_copenhagen(instant: dt.datetime, expected: dt.date) -> None:
    assert business_date(instant, CPH) == expected


def test_business_date_of_other_offsets_and_naive_instants() -> None:
    plus_five = dt.timezone(dt.timedelta(hours=5))
    # 02:00 at UTC+5 is 21:00 UTC the day before, which is 22:00 in Copenhagen: same day as UTC.
    assert business_date(dt.datetime(2026, 1, 2, 2, 0, tzinfo=plus_five), CPH) == dt.date(2026, 1, 1)
    assert business_date(dt.datetime(2025, 12, 31, 23, 30), CPH) == dt.date(2026, 1, 1)
    assert business_date(utc(2025, 12, 31, 23, 30), company_zone("UTC")) == dt.date(2025, 12, 31)
    assert business_date(utc(2026, 1, 1, 3, 0), company_zone("America/New_York")) == dt.date(2025, 12, 31)


def test_start_of_day_follows_daylight_saving() -> None:
    assert start_of_day(dt.date(2026, 1, 1), CPH) == utc(2025, 12, 31, 23, 0)
    assert start_of_day(dt.date(2026, 7, 1), CPH) == utc(2026, 6, 30, 22, 0)
    assert start_of_day(dt.date(2026, 3, 30), CPH) == utc(2026, 3, 29, 22, 0)
    assert start_of_day(dt.date(2026, 10, 26), CPH) == utc(2026, 10, 25, 23, 0)


def test_clocks_answer_today_in_the_company_zone() -> None:
    clock = FixedClock(utc(2025, 12, 31, 23, 30), zone=CPH)
    assert clock.now() == utc(2025, 12, 31, 23, 30)
    assert clock.today() == dt.date(2026, 1, 1)
    assert clock.date_of(utc(2026, 6, 30, 22, 0)) == dt.date(2026, 7, 1)
    assert FixedClock(utc(2025, 12, 31, 23, 30)).today() == dt.date(2025, 12, 31)
    system = SystemClock(CPH)
    assert system.today() == business_date(system.now(), CPH)


def test_settings_default_to_utc_and_refuse_an_unknown_zone() -> None:
    assert ServiceSettings().company_timezone == "UTC"
    assert ServiceSettings(company_timezone="Europe/Copenhagen").company_zone() == CPH
    with pytest.raises(ValidationError, match="unknown time zone"):
        ServiceSettings(company_timezone="Europe/Atlantis")
    with pytest.raises(ValidationError, match="unknown time zone"):
        ServiceSettings(company_timezone="../etc/passwd")


def test_settings_read_the_zone_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPANY_TIMEZONE", "Europe/Copenhagen")
    assert ServiceSettings().company_zone() == CPH
    monkeypatch.setenv("COMPANY_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValidationError):
        ServiceSettings()
