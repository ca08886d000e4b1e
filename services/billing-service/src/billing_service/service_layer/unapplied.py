"""A customer's unapplied cash as one balance: applying any of it by hand to an open invoice,
and the account's setting for applying it to new invoices automatically."""

from __future__ import annotations

from dataclasses import dataclass

from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, DomainError
from backoffice_platform.idempotency import IdempotentReplay

from ..adapters.receivables import AccountRecord, account_stream, get_invoice, save_account
from ..domain.cash import CashSource
from .accounts import require_account
from .cash import customer_cash
from .idempotency import Idempotency, claim, remember
from .recording import record


@dataclass(frozen=True)
class UnappliedCashDetails:
    """The customer's unapplied cash: the balance and the sources that still hold some."""

    customer_id: str
    balance: Money
    sources: list[CashSource]
    auto_apply_cash: bool


async def unapplied_cash(ctx: ServiceContext, customer_id: str) -> UnappliedCashDetails:
    """The customer's unapplied cash by source, oldest first (``billing-account-not-found``)."""
    async with ctx.engine.connect() as conn:
        held = await require_account(conn, customer_id)
        cash = await customer_cash(conn, ctx, held.account)
    return UnappliedCashDetails(customer_id, cash.balance, cash.sources, held.account.auto_apply_cash)


async def apply_cash(
    ctx: ServiceContext,
    customer_id: str,
    invoice_id: str,
    amount: Money,
    source_id: str | None = None,
    idempotency: Idempotency[UnappliedCashDetails] | None = None,
) -> UnappliedCashDetails | IdempotentReplay:
    """Apply the customer's unapplied cash (any source, or the one named) to an open invoice by
    hand, dated today but never before the invoice or the cash. Rules: the domain's
    (``allocation-exceeds-unapplied``, ``allocation-exceeds-open-amount``, ...),
    ``billing-account-not-found``, ``unknown-invoice``."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        held = await require_account(conn, customer_id, for_update=True)
        invoice = await get_invoice(conn, invoice_id, for_update=True)
        if invoice is None:
            raise DomainError(f"no invoice {invoice_id}", field="invoice_id", rule="unknown-invoice")
        cash = await customer_cash(conn, ctx, held.account)
        events = cash.apply_by_hand(invoice, amount, ctx.clock.today(), source_id)
        await record(conn, ctx, events, {invoice_id: invoice})
        for event in events:
            cash.apply(event)
        details = UnappliedCashDetails(customer_id, cash.balance, cash.sources, held.account.auto_apply_cash)
        await remember(conn, idempotency, details)
    return details


async def set_cash_application(
    ctx: ServiceContext, customer_id: str, auto_apply_cash: bool, expected_version: int | None = None
) -> AccountRecord:
    """Switch automatic application of the customer's unapplied cash to new invoices on or off
    (``CashApplicationChanged``; nothing when already so). ``expected_version`` (If-Match):
    rule ``version-mismatch`` (409) when the account has moved on."""
    async with ctx.engine.begin() as conn:
        held = await require_account(conn, customer_id, for_update=True)
        account = held.account
        if expected_version is not None and expected_version != account.version:
            raise Conflict(
                f"account {customer_id} is at version {account.version}, not {expected_version}",
                field="If-Match",
                rule="version-mismatch",
            )
        events = account.set_cash_application(auto_apply_cash)
        if events:
            await ctx.store.append(
                conn,
                account_stream(customer_id),
                "billing_account",
                account.version,
                events,
                occurred_at=ctx.clock.now(),
            )
            for event in events:
                account.apply(event)
            await save_account(conn, account)
        return await require_account(conn, customer_id)
