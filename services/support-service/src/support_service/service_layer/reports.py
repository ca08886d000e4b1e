"""The support report of a period, from the ticket read models and the projected orders."""

from __future__ import annotations

import datetime as dt

from backoffice_platform.app import ServiceContext

from ..adapters.tickets import order_facts, remedy_facts, ticket_facts
from ..domain.reports import Period, SupportReport, support_report


async def report_for(ctx: ServiceContext, start: dt.datetime, end: dt.datetime) -> SupportReport:
    """Root causes, SLA breach rate, median times, remedies and retention of ``[start, end)``."""
    period = Period(start, end)
    async with ctx.engine.connect() as conn:
        tickets = await ticket_facts(conn, start, end)
        remedies = await remedy_facts(conn, start, end)
        resolved_by = sorted(
            {t.customer_id for t in tickets if t.resolved_at is not None and t.resolved_at in period}
        )
        orders = await order_facts(conn, resolved_by, start)
    return support_report(period, tickets, remedies, orders)
