"""Injectable clock: time-dependent rules read it, tests and ``as_of`` runs set it.

Instants are UTC; business dates (order, shipment, invoice, due, payment, dunning, SLA,
statement dates) are dates in the company's time zone. ``business_date`` is the one rule
turning an instant into a business date, and every clock answers ``today()`` with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_ZONE = ZoneInfo("UTC")


def company_zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``Europe/Copenhagen``); ``ValueError`` if unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name such as Europe/Copenhagen)"
        ) from None


def business_date(instant: dt.datetime, zone: dt.tzinfo) -> dt.date:
    """The date ``instant`` falls on in ``zone``. A naive instant is taken as UTC (how the
    event store and the envelope treat them)."""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).date()


def start_of_day(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """The instant (UTC) the business date ``day`` begins in ``zone``, DST included."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


class Clock(Protocol):
    """Now as an instant, today as a business date in the company's zone."""

    @property
    def zone(self) -> dt.tzinfo: ...

    def now(self) -> dt.datetime: ...

    def today(self) -> dt.date: ...

    def date_of(self, instant: dt.datetime) -> dt.date: ...


class SystemClock:
    """The machine's time, dated in the company's zone."""

    def __init__(self, zone: dt.tzinfo = UTC_ZONE) -> None:
        self.zone = zone

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return business_date(self.now(), self.zone)

    def date_of(self, instant: dt.datetime) -> dt.date:
        """The business date of ``instant``."""
        return business_date(instant, self.zone)


class FixedClock:
    """A clock that stands still until moved (tests, replays for a given date)."""

    def __init__(self, at: dt.datetime, zone: dt.tzinfo = UTC_ZONE) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
        self.zone = zone

    def now(self) -> dt.datetime:
        return self.at

    def today(self) -> dt.date:
        return business_date(self.at, self.zone)

    def date_of(self, instant: dt.datetime) -> dt.date:
        """The business date of ``instant``."""
        return business_date(instant, self.zone)

    def advance(self, delta: dt.timedelta) -> None:
        self.at += delta
