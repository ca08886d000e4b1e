"""The SLA breach job: record an ``SlaBreached`` on every ticket that missed a deadline by a
given moment. Runs periodically for now, or by hand for any past ``as_of``."""

from __future__ import annotations

import datetime as dt
import logging

from backoffice_events.catalog.support import SlaBreached
from backoffice_events.store import ConcurrencyError
from backoffice_platform.app import ServiceContext
from backoffice_platform.clock import start_of_day
from backoffice_platform.errors import InvalidInput

from ..adapters.tickets import (
    STREAM_TYPE,
    load_ticket,
    lock_ticket,
    save_ticket,
    ticket_stream,
    tickets_with_breaches_due,
)

log = logging.getLogger(__name__)


def as_of_moment(ctx: ServiceContext, as_of: dt.date | dt.datetime | None) -> dt.datetime:
    """The moment a run is for: a datetime as given, a past date as the end of that business
    day (in the company's zone),
    today or nothing as now. Breaches are never recorded ahead of the clock, because a
    deadline still to come can yet be met."""
    now = ctx.clock.now()
    if as_of is None:
        return now
    if isinstance(as_of, dt.datetime):
        if as_of.tzinfo is None or as_of.utcoffset() is None:
            raise InvalidInput("as_of needs a time zone", field="as_of", rule="timezone-required")
        if as_of > now:
            raise _in_future(as_of.isoformat(), now)
        return as_of
    if as_of > ctx.clock.today():
        raise _in_future(as_of.isoformat(), now)
    end_of_day = start_of_day(as_of + dt.timedelta(days=1), ctx.clock.zone)
    return min(end_of_day, now)


def _in_future(as_of: str, now: dt.datetime) -> InvalidInput:
    return InvalidInput(
        f"as_of {as_of} lies after the current time {now.isoformat()}",
        field="as_of",
        rule="as-of-in-future",
    )


async def record_sla_breaches(ctx: ServiceContext, as_of: dt.datetime) -> list[SlaBreached]:
    """Record the breaches due at ``as_of``; each ticket in its own transaction, each breach
    once. A ticket changed concurrently is left for the next run."""
    async with ctx.engine.connect() as conn:
        candidates = await tickets_with_breaches_due(conn, as_of)
    breaches: list[SlaBreached] = []
    for ticket_id in candidates:
        try:
            breaches.extend(await _breach(ctx, ticket_id, as_of))
        except ConcurrencyError:
            log.info("ticket %s changed while its SLA was checked; the next run sees it", ticket_id)
    return breaches


async def _breach(ctx: ServiceContext, ticket_id: str, as_of: dt.datetime) -> list[SlaBreached]:
    async with ctx.engine.begin() as conn:
        if await lock_ticket(conn, ticket_id) is None:
            return []
        ticket = await load_ticket(conn, ctx.store, ticket_id)
        if ticket is None:
            return []
        version = ticket.version
        events = ticket.record_sla_breaches(as_of)
        if events:
            await ctx.store.append(
                conn, ticket_stream(ticket_id), STREAM_TYPE, version, events, occurred_at=ctx.clock.now()
            )
            await save_ticket(conn, ticket)
    return [e for e in events if isinstance(e, SlaBreached)]


async def run_sla_job(ctx: ServiceContext, as_of: dt.date) -> list[SlaBreached]:
    """The periodic job: breaches due by ``as_of`` (today means now)."""
    return await record_sla_breaches(ctx, as_of_moment(ctx, as_of))
