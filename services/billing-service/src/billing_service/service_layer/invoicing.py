"""Billing accounts and invoicing: an account per customer, one invoice per shipment."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.orders import OrderShipped
from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict
from backoffice_platform.idempotency import IdempotentReplay

from ..adapters.receivables import (
    AccountRecord,
    get_account,
    insert_account,
    invoice_of_shipment,
    last_issue_date,
    take_number,
)
from ..domain.accounts import account_for_first_shipment, open_billing_account
from ..domain.invoices import (
    INVOICE_SERIES,
    Invoice,
    format_invoice_number,
    invoice_date_in_series,
    invoice_for_shipment,
)
from .accounts import require_account
from .cash import customer_cash
from .idempotency import Idempotency, claim, remember
from .recording import record

# Invoice ids derive from the shipment id: a shipment replayed under any event id names the same
# invoice stream, on top of the unique shipment id of the invoices table.
_INVOICE_IDS = uuid.UUID("6f1c2b8e-3d4a-4f5b-9c7d-0e1f2a3b4c5d")


def invoice_id_for(shipment_id: str) -> str:
    return str(uuid.uuid5(_INVOICE_IDS, shipment_id))


async def open_account(
    ctx: ServiceContext,
    customer_id: str,
    currency: str,
    payment_terms_days: int,
    credit_limit: Money | None,
    dunning_contact: str | None,
    idempotency: Idempotency[AccountRecord] | None = None,
) -> AccountRecord | IdempotentReplay:
    """Open a customer's billing account by hand. Rule ``duplicate-account`` (409)."""
    opened = open_billing_account(customer_id, currency, payment_terms_days, credit_limit, dunning_contact)
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        if not await insert_account(conn, opened, ctx.clock.now()):
            raise Conflict(
                f"customer {customer_id} already has a billing account",
                field="customer_id",
                rule="duplicate-account",
            )
        await record(conn, ctx, [opened], {})
        account = await require_account(conn, customer_id)
        await remember(conn, idempotency, account)
    return account


async def account_for_shipment(
    conn: AsyncConnection, ctx: ServiceContext, shipped: OrderShipped
) -> AccountRecord:
    """The shipped customer's account, locked; opened with defaults on the first shipment."""
    found = await get_account(conn, shipped.customer_id, for_update=True)
    if found is not None:
        return found
    opened = account_for_first_shipment(shipped)
    # False means a concurrent first shipment opened it; its insert was waited for.
    if await insert_account(conn, opened, ctx.clock.now()):
        await record(conn, ctx, [opened], {})
    return await require_account(conn, shipped.customer_id, for_update=True)


async def issue_invoice_in(
    conn: AsyncConnection, ctx: ServiceContext, shipped: OrderShipped
) -> Invoice | None:
    """Invoice a shipment inside the caller's transaction; ``None`` when it was invoiced already
    or there is nothing to bill (free replacements, zero-priced shipments).

    The account lock comes first, so the "already invoiced?" check below sees any concurrent
    issue for the same customer; the unique shipment id of the invoices table backs it up. The
    series is locked and the number taken last, after every rule passed, and its counter row
    stays locked until commit.

    The invoice is dated by its shipment: ``shipped_at`` as a business date in the company's
    zone (never the day this runs), in that date's year's series; a series that already holds
    a later invoice gives it that later date (``invoice_date_in_series``). When the account
    applies cash automatically, the customer's unapplied cash is applied to the new invoice
    straight away, dated no earlier than the invoice (and than the cash).
    """
    held = await account_for_shipment(conn, ctx, shipped)
    if await invoice_of_shipment(conn, shipped.shipment_id) is not None:
        return None
    delivery_date = ctx.clock.date_of(shipped.shipped_at)
    invoice_id = invoice_id_for(shipped.shipment_id)
    if invoice_for_shipment(shipped, held.account, invoice_id, "", delivery_date) is None:
        return None
    year = delivery_date.year
    issue_date = invoice_date_in_series(delivery_date, await last_issue_date(conn, INVOICE_SERIES, year))
    seq = await take_number(conn, INVOICE_SERIES, year, issue_date)
    number = format_invoice_number(INVOICE_SERIES, year, seq)
    issued = invoice_for_shipment(shipped, held.account, invoice_id, number, issue_date, delivery_date)
    assert issued is not None  # the same shipment and account as the draft above
    invoices: dict[str, Invoice] = {}
    await record(conn, ctx, [issued], invoices)
    if held.unapplied.is_positive and held.account.auto_apply_cash:
        cash = await customer_cash(conn, ctx, held.account)
        await record(conn, ctx, cash.apply_to([invoices[invoice_id].as_open_invoice()], issue_date), invoices)
    return invoices[invoice_id]


async def issue_invoice(ctx: ServiceContext, shipped: OrderShipped) -> Invoice | None:
    """Invoice a shipment in a transaction of its own."""
    async with ctx.engine.begin() as conn:
        return await issue_invoice_in(conn, ctx, shipped)
