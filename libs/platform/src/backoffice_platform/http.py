"""Small HTTP conventions: ETags for optimistic concurrency, ISO dates, storable amounts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from backoffice_events.money import MONEY_JSON_SCHEMA, Money

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


AMOUNT_DIGITS = 12
"""Integer digits an amount in a request may have: services keep amounts as ``numeric(18, 6)``."""
AMOUNT_LIMIT = Decimal(10) ** AMOUNT_DIGITS
AMOUNT_PATTERN = rf"^-?\d{{1,{AMOUNT_DIGITS}}}(\.\d{{1,6}})?$"
INPUT_MONEY_JSON_SCHEMA: dict[str, Any] = {
    **MONEY_JSON_SCHEMA,
    "properties": {
        **MONEY_JSON_SCHEMA["properties"],
        "amount": {**MONEY_JSON_SCHEMA["properties"]["amount"], "pattern": AMOUNT_PATTERN},
    },
}


def check_storable(money: Money) -> Money:
    """``money`` if its amount fits the services' amount columns (rule ``amount-too-large``)."""
    if abs(money.amount) >= AMOUNT_LIMIT:
        raise PydanticCustomError(
            "amount-too-large",
            "amount must have at most {digits} digits before the decimal point, got {amount}",
            {"digits": AMOUNT_DIGITS, "amount": str(money.amount)},
        )
    return money


MoneyInput = Annotated[Money, AfterValidator(check_storable), WithJsonSchema(INPUT_MONEY_JSON_SCHEMA)]
"""Money in a request: a ``Money`` whose amount the books can hold (``AMOUNT_DIGITS``)."""
