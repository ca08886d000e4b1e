"""Generations of the books: which PostgreSQL schema holds the tables a statement works on.

The books (accounts, journal, open items, source events) live in one schema per generation,
``books_<n>``. The ``ledger_generation`` row names the ``active`` generation (queries read
it, the live consumer writes it) and, while a rebuild runs, the ``pending`` one (the live
consumer writes it too; see ``service_layer.rebuild``).

Statements name tables without a schema; a transaction points ``search_path`` at one
generation with ``set_config(..., is_local => true)``, so the schema travels as a bound
parameter and every statement text stays constant. Schema names are still only built from
an integer read from the database and checked against a strict pattern before use.
PostgreSQL re-plans cached statements when ``search_path`` changes, so asyncpg's prepared
statements resolve to the generation of the current transaction.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_SCHEMA = re.compile(r"^books_[1-9][0-9]{0,8}$")


def schema_for(generation: int) -> str:
    """The schema of ``generation``; refuses anything but a positive integer's ``books_<n>``."""
    name = f"books_{generation}"
    if isinstance(generation, bool) or not isinstance(generation, int) or not _SCHEMA.match(name):
        raise ValueError(f"not a generation of the books: {generation!r}")
    return name


_GENERATION_ROW = {
    "": text("SELECT active, pending FROM ledger_generation WHERE id = 1"),
    "share": text("SELECT active, pending FROM ledger_generation WHERE id = 1 FOR SHARE"),
    "update": text("SELECT active, pending FROM ledger_generation WHERE id = 1 FOR UPDATE"),
}


@dataclass(frozen=True, slots=True)
class Generations:
    """The ``ledger_generation`` row."""

    active: int
    pending: int | None

    @property
    def written(self) -> tuple[int, ...]:
        """The generations the live consumer writes: the active one and a rebuild's, if any."""
        return (self.active,) if self.pending is None else (self.active, self.pending)


async def generations(conn: AsyncConnection, *, lock: str = "") -> Generations:
    """Read the generation row; ``lock`` is "" (plain read), "share" (the live consumer: a
    switch waits for its batch) or "update" (a rebuild registering or switching)."""
    row = (await conn.execute(_GENERATION_ROW[lock])).one()
    return Generations(int(row.active), None if row.pending is None else int(row.pending))


async def use_books(conn: AsyncConnection, generation: int) -> None:
    """Point the rest of this transaction at ``generation``'s tables."""
    await conn.execute(
        text("SELECT set_config('search_path', :path, true)"),
        {"path": f"{schema_for(generation)}, public"},
    )


@asynccontextmanager
async def read_books(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A read-only, repeatable-read transaction on the active generation: several queries
    of one answer see the same snapshot, and a rebuild switching generations meanwhile
    does not disturb it (the previous generation is kept until the next rebuild)."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        async with conn.begin():
            current = await generations(conn)
            await use_books(conn, current.active)
            yield conn


async def create_books(conn: AsyncConnection, generation: int) -> None:
    """Create the schema and (empty, chart-seeded) tables of ``generation``."""
    schema_for(generation)
    await conn.execute(text("SELECT ledger_create_books(:g)"), {"g": generation})
    await conn.execute(text("SELECT ledger_add_vat_columns(:g)"), {"g": generation})  # VAT per rate
    await conn.execute(text("SELECT ledger_extend_books_0004(:g)"), {"g": generation})  # document_date


async def drop_books(conn: AsyncConnection, generation: int) -> None:
    """Drop ``generation``'s schema and everything in it."""
    schema_for(generation)
    await conn.execute(text("SELECT ledger_drop_books(:g)"), {"g": generation})


async def existing_generations(conn: AsyncConnection) -> list[int]:
    """Generations that have a schema."""
    return [int(g) for g in (await conn.execute(text("SELECT ledger_book_generations()"))).scalars()]


async def events_only_in(conn: AsyncConnection, generation: int, other: int) -> int:
    """How many events ``generation`` has taken that ``other`` has not."""
    schema_for(generation), schema_for(other)
    found = await conn.scalar(text("SELECT ledger_events_only_in(:g, :o)"), {"g": generation, "o": other})
    return int(found or 0)


async def books_differences(conn: AsyncConnection, old: int, new: int) -> list[str]:
    """The parts (journal entries, journal lines, open items, accounts) in which two
    generations differ; empty when they hold the same books."""
    schema_for(old), schema_for(new)
    found = await conn.scalar(text("SELECT ledger_books_differences(:o, :n)"), {"o": old, "n": new})
    return list(found or [])
