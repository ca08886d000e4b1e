"""Customer statements at any date."""

from __future__ import annotations

import datetime as dt

from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import InvalidInput

from ..adapters.receivables import customer_events
from ..domain.statement import CustomerStatement, customer_statement
from .accounts import require_account


async def statement(
    ctx: ServiceContext, customer_id: str, as_of: dt.date, period_start: dt.date | None = None
) -> CustomerStatement:
    """Open items, payments, credits, refunds and balance of a customer at ``as_of``."""
    if period_start is not None and period_start > as_of:
        raise InvalidInput("from must not be after as_of", field="from", rule="period-start-after-as-of")
    async with ctx.engine.connect() as conn:
        held = await require_account(conn, customer_id)
        facts = await customer_events(conn, ctx.store.catalog, customer_id)
    return customer_statement(customer_id, held.account.currency, as_of, facts, period_start)
