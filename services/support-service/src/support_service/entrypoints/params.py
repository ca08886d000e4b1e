"""Query parameters shared by the support endpoints."""

from __future__ import annotations

import datetime as dt

from backoffice_platform.clock import start_of_day
from backoffice_platform.errors import InvalidInput


def parse_moment(value: str, field: str) -> dt.date | dt.datetime:
    """An ISO 8601 date (``2026-01-15``) or date-time with zone (``2026-01-15T09:00:00Z``)."""
    try:
        if len(value) == 10:
            return dt.date.fromisoformat(value)
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"{field} {value!r} is not an ISO 8601 date or date-time", field=field, rule="invalid-datetime"
        ) from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"{field} needs a time zone", field=field, rule="timezone-required")
    return moment


def start_of(value: dt.date | dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A date as the start of that business day in the company's ``zone``; a date-time as given."""
    if isinstance(value, dt.datetime):
        return value
    return start_of_day(value, zone)
