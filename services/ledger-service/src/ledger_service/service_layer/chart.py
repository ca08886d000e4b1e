"""Keeping the chart of accounts: publish the default chart once, open, rename and close
accounts. Each change appends to the ``chart`` stream (the outbox publishes it on
``backoffice.ledger``) and updates ``chart_accounts`` in the same transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.chart import AccountType
from backoffice_events.store import ANY_VERSION, ConcurrencyError
from backoffice_platform.app import ServiceContext

from ..adapters.books import generations, use_books
from ..adapters.chart import CHART_STREAM, has_balance, load_chart, lock_chart_stream, save_chart_accounts
from ..domain import chart as rules
from ..domain.chart import ChartAccount, ChartEvent

log = logging.getLogger(__name__)


async def _publish(
    conn: AsyncConnection,
    ctx: ServiceContext,
    chart: dict[str, ChartAccount],
    events: Sequence[ChartEvent],
    expected_version: int,
) -> list[ChartAccount]:
    await ctx.store.append(conn, CHART_STREAM, "chart", expected_version, events, occurred_at=ctx.clock.now())
    changed = []
    for event in events:
        chart[event.code] = rules.apply(chart, event)
        changed.append(chart[event.code])
    await save_chart_accounts(conn, changed)
    return changed


async def _ensure_default(conn: AsyncConnection, ctx: ServiceContext) -> bool:
    """Publish the default chart if the stream is new; False when it already was published."""
    if await ctx.store.stream_version(conn, CHART_STREAM) > 0:
        return False
    # Expected version 0: of two replicas starting together exactly one appends.
    await _publish(conn, ctx, {}, rules.default_chart_events(), 0)
    return True


async def publish_default_chart(ctx: ServiceContext) -> bool:
    """Run at worker start: publish the seeded chart exactly once for a new company, whatever
    the number of replicas. Returns whether this call published it."""
    try:
        async with ctx.engine.begin() as conn:
            published = await _ensure_default(conn, ctx)
    except ConcurrencyError:
        published = False  # another replica did, in the same instant
    if published:
        log.info("published the default chart of accounts")
    return published


async def _chart_for_change(conn: AsyncConnection, ctx: ServiceContext) -> dict[str, ChartAccount]:
    await _ensure_default(conn, ctx)
    # Lock the stream row first: changes to the chart are serialised, and the chart read
    # after the lock (a new statement, a new snapshot) includes the previous change.
    await lock_chart_stream(conn)
    return await load_chart(conn)


async def open_account(ctx: ServiceContext, code: str, name: str, account_type: AccountType) -> ChartAccount:
    """Open a bookkeeper's account. Rules: ``account-code-invalid``, ``account-exists`` (409),
    ``account-name-required``."""
    async with ctx.engine.begin() as conn:
        chart = await _chart_for_change(conn, ctx)
        event = rules.open_account(chart, code, name, account_type)
        (account,) = await _publish(conn, ctx, chart, [event], ANY_VERSION)
    return account


async def rename_account(ctx: ServiceContext, code: str, name: str) -> ChartAccount:
    """Rename an account. Rules: ``account-not-found`` (404), ``account-name-required``."""
    async with ctx.engine.begin() as conn:
        chart = await _chart_for_change(conn, ctx)
        event = rules.rename_account(chart, code, name)
        (account,) = await _publish(conn, ctx, chart, [event], ANY_VERSION)
    return account


async def close_account(ctx: ServiceContext, code: str, closed_by: str) -> ChartAccount:
    """Close an account. Rules: ``account-not-found`` (404), ``account-closed`` (409),
    ``account-is-system``, ``account-has-balance`` (in the active books, at any date)."""
    async with ctx.engine.begin() as conn:
        chart = await _chart_for_change(conn, ctx)
        await use_books(conn, (await generations(conn)).active)
        balance = await has_balance(conn, code)
        event = rules.close_account(chart, code, balance, closed_by)
        (account,) = await _publish(conn, ctx, chart, [event], ANY_VERSION)
    return account


async def published_chart(ctx: ServiceContext) -> list[ChartAccount]:
    """The published chart, by code."""
    async with ctx.engine.connect() as conn:
        return list((await load_chart(conn)).values())
