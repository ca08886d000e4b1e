"""Small conversions between read-model columns and domain values, and constraint checks."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy.exc import IntegrityError

from backoffice_events.money import Money


def money(amount: Decimal | int | str, currency: str) -> Money:
    """A stored amount (numeric column) as Money rounded to the currency's minor units."""
    return Money(Decimal(amount), currency.strip()).rounded()


def json_text(value: Any) -> str:
    """JSON for a ``CAST(:x AS text)::jsonb`` parameter (bound as text, so never encoded twice)."""
    return orjson.dumps(value).decode()


def json_value(raw: str | bytes | Any) -> Any:
    """A jsonb column read as ``col::text``."""
    if isinstance(raw, str | bytes):
        return orjson.loads(raw)
    return raw


def violates(exc: IntegrityError, constraint: str) -> bool:
    """Whether a unique/foreign-key violation is the one of ``constraint``."""
    orig = exc.orig
    name = getattr(orig, "constraint_name", None) or getattr(
        getattr(orig, "__cause__", None), "constraint_name", None
    )
    return name == constraint or constraint in str(orig)
