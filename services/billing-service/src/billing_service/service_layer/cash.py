"""Payments, allocations and refunds: everything that moves a customer's cash.

Every use case locks the customer's billing account first, then the invoices it touches (in id
order), so two operations can never spend the same unapplied cash.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog import EventModel
from backoffice_events.catalog.billing import RefundIssued
from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, DomainError, NotFound
from backoffice_platform.idempotency import IdempotentReplay

from ..adapters.receivables import (
    PaymentRecord,
    bank_transaction_posted,
    customer_events,
    get_invoice,
    get_payment,
    open_invoices,
    payment_stream,
)
from ..adapters.sql import violates
from ..domain.accounts import BillingAccount
from ..domain.cash import UnappliedCash
from ..domain.credit import issue_refund
from ..domain.invoices import Invoice
from ..domain.payments import Payment
from ..domain.payments import post_payment as post_payment_rule
from .accounts import require_account
from .idempotency import Idempotency, claim, remember
from .periods import require_open
from .recording import CASH_EVENTS, record


async def customer_cash(conn: AsyncConnection, ctx: ServiceContext, account: BillingAccount) -> UnappliedCash:
    """The customer's unapplied cash, folded from the customer's cash events."""
    events = await customer_events(conn, ctx.store.catalog, account.customer_id, CASH_EVENTS)
    return UnappliedCash.rebuild(account.customer_id, account.currency, events)


@dataclass(frozen=True)
class PaymentDetails:
    """A payment with where it is allocated now and what of it is still unapplied."""

    payment: PaymentRecord
    allocations: dict[str, Money]
    unapplied: Money


async def payment_details(
    conn: AsyncConnection, ctx: ServiceContext, payment_id: str
) -> PaymentDetails | None:
    payment = await get_payment(conn, payment_id)
    if payment is None:
        return None
    events, _ = await ctx.store.load(conn, payment_stream(payment_id))
    state = Payment.rebuild(events)
    account = await _account(conn, payment.customer_id)
    cash = await customer_cash(conn, ctx, account)
    return PaymentDetails(payment, dict(state.allocations), cash.source(payment_id).unapplied)


async def _account(conn: AsyncConnection, customer_id: str, *, for_update: bool = False) -> BillingAccount:
    return (await require_account(conn, customer_id, for_update=for_update)).account


async def _payment(conn: AsyncConnection, payment_id: str) -> PaymentRecord:
    payment = await get_payment(conn, payment_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", field="payment_id", rule="payment-not-found")
    return payment


async def _invoices(conn: AsyncConnection, *fields_and_ids: tuple[str, str]) -> dict[str, Invoice]:
    """Lock the named invoices in id order; an unknown one is refused naming its input field."""
    found: dict[str, Invoice] = {}
    for field, invoice_id in sorted(fields_and_ids, key=lambda item: item[1]):
        invoice = await get_invoice(conn, invoice_id, for_update=True)
        if invoice is None:
            raise DomainError(f"no invoice {invoice_id}", field=field, rule="unknown-invoice")
        found[invoice_id] = invoice
    return found


async def post_payment(
    ctx: ServiceContext,
    customer_id: str,
    amount: Money,
    received_on: dt.date,
    bank_transaction_id: str,
    payer_reference: str | None = None,
    idempotency: Idempotency[PaymentDetails] | None = None,
) -> PaymentDetails | IdempotentReplay:
    """Post a received payment and allocate it (reference first, then oldest due first; the rest
    is unapplied cash). Rules: the domain's, ``billing-account-not-found``,
    ``duplicate-bank-transaction`` (409)."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        await require_open(conn, received_on, "received_on")
        account = await _account(conn, customer_id, for_update=True)
        duplicate = Conflict(
            f"bank transaction {bank_transaction_id} was already posted",
            field="bank_transaction_id",
            rule="duplicate-bank-transaction",
        )
        if await bank_transaction_posted(conn, bank_transaction_id):
            raise duplicate
        held = await open_invoices(conn, customer_id, for_update=True)
        payment_id = str(uuid.uuid4())
        events = post_payment_rule(
            account,
            payment_id,
            amount,
            received_on,
            bank_transaction_id,
            [invoice.as_open_invoice() for invoice in held],
            payer_reference,
        )
        try:
            await record(conn, ctx, events, {invoice.invoice_id: invoice for invoice in held})
        except IntegrityError as exc:  # another customer's payment took the id meanwhile
            if violates(exc, "payments_bank_transaction_unique"):
                raise duplicate from None
            raise
        details = await payment_details(conn, ctx, payment_id)
        assert details is not None
        await remember(conn, idempotency, details)
    return details


AllocationChange = Callable[[UnappliedCash, dict[str, Invoice], dt.date], Sequence[EventModel]]
"""A decision of the cash rules: (unapplied cash, locked invoices by id, today) to events."""


async def _change_allocations(
    ctx: ServiceContext,
    payment_id: str,
    invoice_fields: Sequence[tuple[str, str]],
    change: AllocationChange,
    idempotency: Idempotency[PaymentDetails] | None,
) -> PaymentDetails | IdempotentReplay:
    """A hand change to a payment's allocations: lock the customer's account, then the invoices
    (``(input field, invoice id)`` pairs), let the cash rules decide, record, and answer with
    the payment as it is now."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        await require_open(conn, ctx.clock.today(), "allocated_on")
        payment = await _payment(conn, payment_id)
        account = await _account(conn, payment.customer_id, for_update=True)
        invoices = await _invoices(conn, *invoice_fields)
        cash = await customer_cash(conn, ctx, account)
        await record(conn, ctx, change(cash, invoices, ctx.clock.today()), invoices)
        details = await payment_details(conn, ctx, payment_id)
        assert details is not None
        await remember(conn, idempotency, details)
    return details


async def allocate(
    ctx: ServiceContext,
    payment_id: str,
    invoice_id: str,
    amount: Money,
    idempotency: Idempotency[PaymentDetails] | None = None,
) -> PaymentDetails | IdempotentReplay:
    """Allocate unapplied cash of a payment to an invoice by hand. Rules: the domain's
    (``allocation-exceeds-payment``, ``allocation-exceeds-open-amount``, ...), ``unknown-invoice``."""
    return await _change_allocations(
        ctx,
        payment_id,
        [("invoice_id", invoice_id)],
        lambda cash, invoices, today: cash.allocate(payment_id, invoices[invoice_id], amount, today),
        idempotency,
    )


async def unallocate(
    ctx: ServiceContext,
    payment_id: str,
    invoice_id: str,
    amount: Money,
    reason: str,
    idempotency: Idempotency[PaymentDetails] | None = None,
) -> PaymentDetails | IdempotentReplay:
    """Take (part of) an allocation back to unapplied cash; a paid invoice reopens."""
    return await _change_allocations(
        ctx,
        payment_id,
        [("invoice_id", invoice_id)],
        lambda cash, invoices, today: [
            cash.unallocate(payment_id, invoices[invoice_id], amount, reason, today)
        ],
        idempotency,
    )


async def reallocate(
    ctx: ServiceContext,
    payment_id: str,
    from_invoice_id: str,
    to_invoice_id: str,
    amount: Money,
    reason: str,
    idempotency: Idempotency[PaymentDetails] | None = None,
) -> PaymentDetails | IdempotentReplay:
    """Move an allocation of a payment from one invoice to another."""
    return await _change_allocations(
        ctx,
        payment_id,
        [("from_invoice_id", from_invoice_id), ("to_invoice_id", to_invoice_id)],
        lambda cash, invoices, today: cash.reallocate(
            payment_id, invoices[from_invoice_id], invoices[to_invoice_id], amount, reason, today
        ),
        idempotency,
    )


@dataclass(frozen=True)
class RefundResult:
    refund: RefundIssued
    unapplied_after: Money


async def refund(
    ctx: ServiceContext,
    customer_id: str,
    amount: Money,
    reason: str,
    idempotency: Idempotency[RefundResult] | None = None,
) -> RefundResult | IdempotentReplay:
    """Pay unapplied cash back to the customer. Rule ``refund-exceeds-unapplied`` and the amount rules."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        await require_open(conn, ctx.clock.today(), "refunded_on")
        account = await _account(conn, customer_id, for_update=True)
        cash = await customer_cash(conn, ctx, account)
        issued = issue_refund(cash, str(uuid.uuid4()), amount, ctx.clock.today(), reason)
        await record(conn, ctx, [issued], {})
        cash.apply(issued)
        result = RefundResult(issued, cash.balance)
        await remember(conn, idempotency, result)
    return result
