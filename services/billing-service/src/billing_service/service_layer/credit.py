"""Credit notes (by hand and for support's credit remedies) and write-offs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.billing import CreditNoteIssued
from backoffice_events.catalog.support import CreditRemedyRequested
from backoffice_events.consumer import PermanentError
from backoffice_events.money import Money
from backoffice_events.receivables import LineCreditRequest
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import DomainError, NotFound
from backoffice_platform.idempotency import IdempotentReplay

from ..adapters.receivables import (
    CreditNoteRecord,
    InvoiceRecord,
    credit_note_of_remedy,
    get_account,
    get_credit_note,
    get_invoice,
    next_number,
    read_invoice,
)
from ..domain.credit import issue_credit_note, write_off
from ..domain.invoices import CREDIT_NOTE_SERIES, Invoice, format_invoice_number
from .idempotency import Idempotency, claim, remember
from .periods import require_open
from .recording import record

# Credit notes for remedies derive their id from the remedy: one remedy, one credit note stream.
_REMEDY_CREDIT_IDS = uuid.UUID("2b7e0c55-8f0a-4a8e-b1d2-6c3f4e5a6b7c")


async def _lock_invoice(conn: AsyncConnection, invoice_id: str) -> Invoice:
    """Lock the invoice's customer account, then the invoice (the order every cash operation uses)."""
    found = await get_invoice(conn, invoice_id)
    if found is None:
        raise NotFound(f"no invoice {invoice_id}", field="invoice_id", rule="invoice-not-found")
    await get_account(conn, found.customer_id, for_update=True)
    invoice = await get_invoice(conn, invoice_id, for_update=True)
    assert invoice is not None
    return invoice


async def _credit(
    conn: AsyncConnection,
    ctx: ServiceContext,
    invoice: Invoice,
    lines: Sequence[LineCreditRequest] | None,
    amount: Money | None,
    reason: str,
    credit_note_id: str,
    remedy_id: str | None,
    ticket_id: str | None,
) -> CreditNoteIssued:
    # A refused credit rolls the whole transaction back, the number with it: no gap.
    issue_date = ctx.clock.today()
    seq = await next_number(conn, CREDIT_NOTE_SERIES, issue_date.year)
    number = format_invoice_number(CREDIT_NOTE_SERIES, issue_date.year, seq)
    events = issue_credit_note(
        invoice, lines, reason, credit_note_id, number, issue_date, remedy_id, ticket_id, amount=amount
    )
    await record(conn, ctx, events, {invoice.invoice_id: invoice})
    issued = events[0]
    assert isinstance(issued, CreditNoteIssued)
    return issued


async def credit_invoice(
    ctx: ServiceContext,
    invoice_id: str,
    lines: Sequence[LineCreditRequest] | None,
    reason: str,
    ticket_id: str | None = None,
    idempotency: Idempotency[CreditNoteRecord] | None = None,
    *,
    amount: Money | None = None,
) -> CreditNoteRecord | IdempotentReplay:
    """Issue a credit note against an invoice by hand, by line (no lines and no ``amount``:
    everything still creditable). Rules: the domain's (``unknown-invoice-line``,
    ``credit-exceeds-line``, ``credit-line-twice``, ``credit-exceeds-invoiced``,
    ``invoice-written-off``, amount rules), ``invoice-not-found``."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        await require_open(conn, ctx.clock.today(), "issue_date")
        invoice = await _lock_invoice(conn, invoice_id)
        issued = await _credit(conn, ctx, invoice, lines, amount, reason, str(uuid.uuid4()), None, ticket_id)
        note = await get_credit_note(conn, issued.credit_note_id)
        assert note is not None
        await remember(conn, idempotency, note)
    return note


async def credit_remedy_in(
    conn: AsyncConnection, ctx: ServiceContext, requested: CreditRemedyRequested
) -> None:
    """Answer support's credit remedy with exactly one credit note (inside the consumer's transaction).

    A remedy already credited is skipped (the credit notes table is unique per remedy id); a
    remedy that can never be credited (unknown invoice, another customer's invoice, a rule
    broken) raises ``PermanentError`` and is dead-lettered.
    """
    if await credit_note_of_remedy(conn, requested.remedy_id) is not None:
        return
    try:
        invoice = await _lock_invoice(conn, requested.invoice_id)
        if invoice.customer_id != requested.customer_id:
            raise DomainError(
                f"invoice {invoice.number} is not customer {requested.customer_id}'s",
                field="invoice_id",
                rule="invoice-of-other-customer",
            )
        if await credit_note_of_remedy(conn, requested.remedy_id) is not None:
            return
        await _credit(
            conn,
            ctx,
            invoice,
            [LineCreditRequest(line.line_no, line.quantity, line.amount) for line in requested.lines],
            None if requested.lines else requested.amount,
            requested.reason,
            str(uuid.uuid5(_REMEDY_CREDIT_IDS, requested.remedy_id)),
            requested.remedy_id,
            requested.ticket_id,
        )
    except DomainError as exc:
        raise PermanentError(
            f"credit remedy {requested.remedy_id} refused: {exc.rule}: {exc.detail}"
        ) from exc


async def write_off_invoice(
    ctx: ServiceContext,
    invoice_id: str,
    reason: str,
    idempotency: Idempotency[InvoiceRecord] | None = None,
) -> InvoiceRecord | IdempotentReplay:
    """Write off what is still open on an invoice as bad debt. Rule ``nothing-to-write-off``."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        await require_open(conn, ctx.clock.today(), "written_off_on")
        invoice = await _lock_invoice(conn, invoice_id)
        await record(conn, ctx, [write_off(invoice, reason, ctx.clock.today())], {invoice_id: invoice})
        written_off = await read_invoice(conn, invoice_id)
        assert written_off is not None
        await remember(conn, idempotency, written_off)
    return written_off
