"""How each money event moves the open amount of the invoices it names."""

from __future__ import annotations

from dataclasses import dataclass

from ..catalog.base import EventModel
from ..catalog.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
)
from ..money import Money


@dataclass(frozen=True, slots=True)
class OpenAmountMovement:
    """A change to what an invoice still owes: positive raises it, negative settles it."""

    invoice_id: str
    customer_id: str
    amount: Money
    reason: str  # issued | payment | unallocated | credit-note | write-off


def open_amount_movements(event: EventModel) -> list[OpenAmountMovement]:
    """How ``event`` moves the open amount of the invoices it names (empty for other events).

    ``InvoiceIssued`` +gross; ``PaymentPosted`` -each allocation; ``PaymentAllocated`` -amount;
    ``PaymentUnallocated`` +amount; ``CreditNoteIssued`` -applied (the unapplied part goes to
    the customer's unapplied cash, not the invoice); ``InvoiceWrittenOff`` -amount. So an
    invoice's open amount is ``gross - paid - credit applied - written off``.
    """
    match event:
        case InvoiceIssued():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, event.gross, "issued")]
        case PaymentPosted():
            return [
                OpenAmountMovement(a.invoice_id, event.customer_id, -a.amount, "payment")
                for a in event.allocations
            ]
        case PaymentAllocated():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, -event.amount, "payment")]
        case PaymentUnallocated():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, event.amount, "unallocated")]
        case CreditNoteIssued():
            if event.applied.is_zero:
                return []
            return [OpenAmountMovement(event.invoice_id, event.customer_id, -event.applied, "credit-note")]
        case InvoiceWrittenOff():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, -event.amount, "write-off")]
        case _:
            return []


def allocated_amount(event: PaymentPosted) -> Money:
    """The part of a payment allocated to invoices (the rest is unapplied cash)."""
    return sum((a.amount for a in event.allocations), Money.zero(event.amount.currency))
