"""Small conversions between read-model columns and domain values, constraint checks and pages."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

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


async def page_after(
    conn: AsyncConnection,
    select: str,
    conditions: Sequence[str],
    params: dict[str, Any],
    *,
    after_seq: int,
    limit: int,
) -> tuple[Sequence[Any], int | None]:
    """A page of read-model rows in ``seq`` order: ``select`` (``SELECT ... FROM table``) filtered
    by ``conditions`` (with their ``params``), at most ``limit`` rows after ``after_seq``.
    Returns the rows and the seq the next page continues after (None on the last page)."""
    where = " AND ".join(["seq > :after", *conditions])
    rows = (
        await conn.execute(
            text(f"{select} WHERE {where} ORDER BY seq LIMIT :limit"),
            {**params, "after": after_seq, "limit": limit + 1},
        )
    ).all()
    page = rows[:limit]
    return page, (page[-1].seq if len(rows) > limit and page else None)
