"""Closing and reopening fiscal periods; the lock date and the list of periods."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.ledger import PeriodClosed, PeriodReopened
from backoffice_events.store import driver
from backoffice_platform.app import ServiceContext

from ..adapters.periods import PERIODS_STREAM, PeriodRow, list_periods, set_lock_date
from ..adapters.posting_dates import lock_date
from ..domain.periods import FiscalPeriods, Period, fiscal_year_of
from .checks import check_books

FISCAL_YEAR_FIRST_MONTH = 1
"""Fiscal years are calendar years."""


async def _periods(conn: AsyncConnection, ctx: ServiceContext) -> FiscalPeriods:
    events, _ = await ctx.store.load(conn, PERIODS_STREAM)
    state = FiscalPeriods()
    for event in events:
        assert isinstance(event, PeriodClosed | PeriodReopened)
        state.apply(event)
    return state


async def _record(
    conn: AsyncConnection, ctx: ServiceContext, state: FiscalPeriods, event: PeriodClosed | PeriodReopened
) -> None:
    # The stream's expected version makes two closings at once a clean 409, never a gap.
    await ctx.store.append(
        conn, PERIODS_STREAM, "fiscal_periods", state.version, [event], occurred_at=ctx.clock.now()
    )
    await set_lock_date(await driver(conn), event)


async def close_period(ctx: ServiceContext, period: Period, by: str) -> PeriodClosed:
    """Close ``period``: it must have ended, follow the latest closed period, and the books
    check must pass at its last day. Sets the lock date to that day."""
    async with ctx.engine.begin() as conn:
        db = await driver(conn)
        # Holding the lock row makes the consumer wait: nothing posts while the books are checked.
        await db.fetchval("SELECT lock_date FROM ledger_lock WHERE id = 1 FOR UPDATE")
        state = await _periods(conn, ctx)
        state.close(
            period, today=ctx.clock.today(), books_ok=True, by=by, at=ctx.clock.now()
        )  # order rules first
        violations = await check_books(ctx.engine, period.last_day)
        event = state.close(
            period, today=ctx.clock.today(), books_ok=not violations, by=by, at=ctx.clock.now()
        )
        await _record(conn, ctx, state, event)
    return event


async def reopen_period(ctx: ServiceContext, period: Period, reason: str, by: str) -> PeriodReopened:
    """Reopen the latest closed period (its own audited event, with the reason)."""
    async with ctx.engine.begin() as conn:
        await (await driver(conn)).fetchval("SELECT lock_date FROM ledger_lock WHERE id = 1 FOR UPDATE")
        state = await _periods(conn, ctx)
        event = state.reopen(period, reason=reason, by=by, at=ctx.clock.now())
        await _record(conn, ctx, state, event)
    return event


@dataclass(frozen=True)
class PeriodStatus:
    period: Period
    fiscal_year: int
    closed: bool
    record: PeriodRow | None


@dataclass(frozen=True)
class PeriodsOverview:
    lock_date: dt.date | None
    periods: list[PeriodStatus]


async def periods_overview(ctx: ServiceContext) -> PeriodsOverview:
    """Every period from the start of the fiscal year of the earliest closed period (or of
    today) up to today's period, with its status and who closed or reopened it."""
    async with ctx.engine.begin() as conn:
        db = await driver(conn)
        lock = await lock_date(db)
        rows = {r.period: r for r in await list_periods(db)}
    today = Period.of(ctx.clock.today())
    earliest = min([Period.parse(p) for p in rows] + [today])
    first = Period(fiscal_year_of(earliest, FISCAL_YEAR_FIRST_MONTH), FISCAL_YEAR_FIRST_MONTH)
    out: list[PeriodStatus] = []
    current = first
    while current <= today:
        closed = lock is not None and current.last_day <= lock
        out.append(
            PeriodStatus(
                current, fiscal_year_of(current, FISCAL_YEAR_FIRST_MONTH), closed, rows.get(str(current))
            )
        )
        current = current.next()
    return PeriodsOverview(lock, out)
