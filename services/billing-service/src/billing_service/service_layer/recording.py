"""Recording receivables events: append each to its stream, in the order given, and bring the
read models along in the same transaction."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from itertools import groupby

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog import EventModel
from backoffice_events.catalog.billing import (
    BillingAccountOpened,
    CreditNoteIssued,
    DunningNoticeIssued,
    InvoiceIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
)
from backoffice_events.money import Money
from backoffice_events.store import ANY_VERSION
from backoffice_platform.app import ServiceContext

from ..adapters.receivables import (
    account_stream,
    add_unapplied,
    insert_credit_note,
    insert_invoice,
    insert_payment,
    insert_refund,
    invoice_stream,
    payment_stream,
    refund_stream,
    save_invoice,
)
from ..domain.invoices import Invoice

_INVOICE_EVENTS = (
    InvoiceIssued,
    InvoicePaid,
    InvoiceOverdue,
    DunningNoticeIssued,
    CreditNoteIssued,
    InvoiceWrittenOff,
)
_CASH_SOURCE_EVENTS = (PaymentPosted, PaymentAllocated, PaymentUnallocated)

CASH_EVENTS: tuple[type[EventModel], ...] = (
    PaymentPosted,
    PaymentAllocated,
    PaymentUnallocated,
    CreditNoteIssued,
    RefundIssued,
)
"""The events that move a customer's unapplied cash."""


def _stream_of(event: EventModel) -> tuple[str, str]:
    if isinstance(event, BillingAccountOpened):
        return account_stream(event.customer_id), "billing_account"
    if isinstance(event, _INVOICE_EVENTS):
        return invoice_stream(event.invoice_id), "invoice"
    if isinstance(event, _CASH_SOURCE_EVENTS):
        return payment_stream(event.payment_id), "payment"
    if isinstance(event, RefundIssued):
        return refund_stream(event.refund_id), "refund"
    raise TypeError(f"{type(event).__name__} is not a receivables event")


def unapplied_movement(event: EventModel) -> Money | None:
    """How an event moves its customer's unapplied cash (None: it does not)."""
    if isinstance(event, PaymentPosted | CreditNoteIssued):
        return event.unapplied
    if isinstance(event, PaymentUnallocated):
        return event.amount
    if isinstance(event, PaymentAllocated | RefundIssued):
        return -event.amount
    return None


async def record(
    conn: AsyncConnection,
    ctx: ServiceContext,
    events: Sequence[EventModel],
    invoices: MutableMapping[str, Invoice],
) -> None:
    """Append ``events`` to their streams and project them.

    ``invoices`` holds the (locked) invoices the events touch, by id; they are folded forward
    and saved, and a newly issued invoice is added. An invoice stream is appended at the
    version of its invoice, so a writer that did not hold the lock fails instead of losing
    an update. Payment streams are appended at whatever version they are: cash operations
    are serialised per customer by the billing account lock.
    """
    touched: set[str] = set()
    movements: dict[str, Money] = {}
    for (stream_id, stream_type), grouped in groupby(events, key=_stream_of):
        run = list(grouped)
        first = run[0]
        expected: int
        if isinstance(first, InvoiceIssued | BillingAccountOpened | RefundIssued | PaymentPosted):
            expected = 0
        elif isinstance(first, _INVOICE_EVENTS):
            expected = invoices[first.invoice_id].version
        else:
            expected = ANY_VERSION
        await ctx.store.append(conn, stream_id, stream_type, expected, run, occurred_at=ctx.clock.now())
        for event in run:
            await _project(conn, event, invoices, touched)
            moved = unapplied_movement(event)
            if moved is not None:
                customer = event.customer_id  # type: ignore[attr-defined]
                movements[customer] = movements[customer] + moved if customer in movements else moved
    for invoice_id in sorted(touched):
        await save_invoice(conn, invoices[invoice_id])
    for customer_id, moved in movements.items():
        await add_unapplied(conn, customer_id, moved)


async def _project(
    conn: AsyncConnection, event: EventModel, invoices: MutableMapping[str, Invoice], touched: set[str]
) -> None:
    if isinstance(event, InvoiceIssued):
        await insert_invoice(conn, event)
        invoices[event.invoice_id] = Invoice.issued(event)
    elif isinstance(event, PaymentPosted):
        await insert_payment(conn, event)
        for invoice_id in {allocation.invoice_id for allocation in event.allocations}:
            invoices[invoice_id].apply(event)
            touched.add(invoice_id)
    elif isinstance(event, PaymentAllocated | PaymentUnallocated):
        invoices[event.invoice_id].apply(event)
        touched.add(event.invoice_id)
    elif isinstance(event, RefundIssued):
        await insert_refund(conn, event)
    elif isinstance(event, _INVOICE_EVENTS):
        if isinstance(event, CreditNoteIssued):
            await insert_credit_note(conn, event)
        invoices[event.invoice_id].apply(event)
        touched.add(event.invoice_id)
