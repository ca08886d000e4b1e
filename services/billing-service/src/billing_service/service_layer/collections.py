"""The collections (dunning) run: chase every overdue invoice for a given date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from backoffice_events.catalog.billing import DunningNoticeIssued, InvoiceOverdue
from backoffice_platform.app import ServiceContext

from ..adapters.receivables import get_account, get_invoice, overdue_invoice_ids
from ..domain.collections import DunningPolicy, collections_due
from ..settings import dunning_policy_of
from .recording import record


@dataclass
class DunningRun:
    """What one run did: invoices newly overdue and notices sent."""

    as_of: dt.date
    examined: int = 0
    overdue: list[InvoiceOverdue] = field(default_factory=list)
    notices: list[DunningNoticeIssued] = field(default_factory=list)


async def run_dunning(ctx: ServiceContext, as_of: dt.date, policy: DunningPolicy | None = None) -> DunningRun:
    """Run collections for ``as_of`` over the open invoices past due.

    Each invoice is handled in its own short transaction under its row lock, so a payment
    arriving meanwhile either comes first (and the invoice leaves dunning) or waits. Running
    twice for the same date sends nothing the second time.
    """
    policy = policy or dunning_policy_of(ctx.settings)
    run = DunningRun(as_of)
    async with ctx.engine.connect() as conn:
        candidates = await overdue_invoice_ids(conn, as_of, policy.levels[-1].level)
    for invoice_id in candidates:
        async with ctx.engine.begin() as conn:
            invoice = await get_invoice(conn, invoice_id, for_update=True)
            if invoice is None or invoice.status != "open":
                continue
            run.examined += 1
            held = await get_account(conn, invoice.customer_id)
            contact = held.account.dunning_contact if held else None
            events = collections_due(invoice, as_of, policy, contact)
            if not events:
                continue
            await record(conn, ctx, events, {invoice_id: invoice})
        for event in events:
            if isinstance(event, InvoiceOverdue):
                run.overdue.append(event)
            else:
                run.notices.append(event)
    return run


async def dunning_job(ctx: ServiceContext, as_of: dt.date) -> DunningRun:
    """The periodic job's entry: the configured dunning ladder for ``as_of``."""
    return await run_dunning(ctx, as_of)
