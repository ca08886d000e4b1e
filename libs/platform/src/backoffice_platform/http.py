"""Small HTTP conventions: ETags for optimistic concurrency, ISO dates."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from .errors import InvalidInput

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def etag(version: int) -> str:
    return f'W/"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The aggregate version an ``If-Match`` header names (None when absent)."""
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput(
            "If-Match must be an ETag this API issued", field="If-Match", rule="if-match-invalid"
        )
    return int(raw)


def _iso_date(value: object) -> object:
    # Left to pydantic, numbers and numeric strings are read as Unix timestamps: `20260115`
    # would quietly become 1970-08-23. A date is a YYYY-MM-DD string (or a date object).
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    raise PydanticCustomError("date-not-iso", "must be a date as YYYY-MM-DD, got {value!r}", {"value": value})


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
"""A calendar date in request input, only as ``YYYY-MM-DD`` (problem rule ``date-not-iso``)."""
