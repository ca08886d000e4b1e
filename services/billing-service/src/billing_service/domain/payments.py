"""Incoming payments: validation, allocation to open invoices, and a payment's own state."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    Allocation,
    InvoicePaid,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
)
from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput

from .accounts import BillingAccount
from .amounts import check_amount
from .invoices import OpenInvoice


def oldest_due_first(open_invoices: Iterable[OpenInvoice]) -> list[OpenInvoice]:
    """Collection order: due date, then issue date, then number."""
    return sorted(open_invoices, key=lambda inv: (inv.due_date, inv.issue_date, inv.number))


def invoices_named_in(reference: str | None, open_invoices: Sequence[OpenInvoice]) -> list[OpenInvoice]:
    """Open invoices whose number or id appears in a payer's reference, in order of appearance.

    Case-insensitive; the number or id may be surrounded by other text but must stand on its
    own (not be glued to further letters or digits), so ``INV-2026-000042`` does not match
    inside ``INV-2026-0000421``.
    """
    if not reference:
        return []
    found: list[tuple[int, OpenInvoice]] = []
    for invoice in open_invoices:
        starts = [
            start
            for token in (invoice.number, invoice.invoice_id)
            if token and (start := _position_of(token, reference)) is not None
        ]
        if starts:
            found.append((min(starts), invoice))
    return [invoice for _, invoice in sorted(found, key=lambda item: item[0])]


def _position_of(token: str, text: str) -> int | None:
    match = re.search(rf"(?<![0-9A-Za-z]){re.escape(token)}(?![0-9A-Za-z])", text, re.IGNORECASE)
    return match.start() if match else None


def _allocate_in_order(amount: Money, ordered: Iterable[OpenInvoice]) -> tuple[list[Allocation], Money]:
    remaining = amount
    allocations: list[Allocation] = []
    seen: set[str] = set()
    for invoice in ordered:
        if invoice.invoice_id in seen or not remaining.is_positive or not invoice.open_amount.is_positive:
            continue
        seen.add(invoice.invoice_id)
        share = remaining.min(invoice.open_amount)
        allocations.append(Allocation(invoice_id=invoice.invoice_id, amount=share))
        remaining -= share
    return allocations, remaining


def allocate_payment(
    amount: Money, reference: str | None, open_invoices: Sequence[OpenInvoice]
) -> tuple[list[Allocation], Money]:
    """Split a payment over a customer's open invoices; returns ``(allocations, unapplied)``.

    Invoices the reference names (by number or id, see ``invoices_named_in``) are paid first,
    in the order the reference names them; what is left goes to the other open invoices
    oldest due date first (ties: issue date, number). An invoice only ever receives up to its
    open amount, so a partial payment leaves the rest open; the surplus is unapplied cash.
    """
    named = invoices_named_in(reference, open_invoices)
    return _allocate_in_order(amount, [*named, *oldest_due_first(open_invoices)])


def apply_unapplied_cash(
    unapplied: Money, open_invoices: Sequence[OpenInvoice]
) -> tuple[list[Allocation], Money]:
    """Apply a customer's unapplied cash to open invoices, oldest due first.

    Used automatically when a new invoice is issued to a customer who has unapplied cash.
    Returns ``(allocations, still unapplied)``.
    """
    return _allocate_in_order(unapplied, oldest_due_first(open_invoices))


def invoices_settled(
    allocations: Iterable[Allocation], open_invoices: Sequence[OpenInvoice], customer_id: str, on: dt.date
) -> list[InvoicePaid]:
    """``InvoicePaid`` for each invoice whose whole open amount these allocations cover."""
    open_by_id = {invoice.invoice_id: invoice.open_amount for invoice in open_invoices}
    paid: list[InvoicePaid] = []
    for allocation in allocations:
        left = open_by_id[allocation.invoice_id] - allocation.amount
        open_by_id[allocation.invoice_id] = left
        if left.is_zero:
            paid.append(InvoicePaid(invoice_id=allocation.invoice_id, customer_id=customer_id, paid_on=on))
    return paid


def post_payment(
    account: BillingAccount,
    payment_id: str,
    amount: Money,
    received_on: dt.date,
    bank_transaction_id: str,
    open_invoices: Sequence[OpenInvoice],
    payer_reference: str | None = None,
) -> list[PaymentPosted | PaymentAllocated | InvoicePaid]:
    """Post a payment received from the account's customer and allocate it.

    The split over the open invoices is ``allocate_payment``'s. A payment is never allocated to
    an invoice dated after it was received: what goes to such an invoice stays unapplied on
    ``received_on`` and is applied on the invoice's date. Returns ``PaymentPosted`` (allocations
    to invoices dated on or before ``received_on``, the rest unapplied) with an ``InvoicePaid``
    for every invoice it settles, then a ``PaymentAllocated`` dated on the invoice's date (and
    ``InvoicePaid`` when settled) for each later-dated invoice. ``open_invoices`` are the
    customer's open invoices at posting time.

    Rules: ``amount-not-positive``, ``currency-mismatch`` (against the billing account),
    ``too-many-decimals``, ``bank-transaction-required``.
    """
    check_amount(amount, account.currency)
    if not bank_transaction_id.strip():
        raise InvalidInput(
            "bank_transaction_id is required", field="bank_transaction_id", rule="bank-transaction-required"
        )
    allocations, unapplied = allocate_payment(amount, payer_reference, open_invoices)
    dated = {invoice.invoice_id: invoice.issue_date for invoice in open_invoices}
    now = [a for a in allocations if dated[a.invoice_id] <= received_on]
    later = [a for a in allocations if dated[a.invoice_id] > received_on]
    posted = PaymentPosted(
        payment_id=payment_id,
        customer_id=account.customer_id,
        amount=amount,
        received_on=received_on,
        payer_reference=payer_reference,
        bank_transaction_id=bank_transaction_id,
        allocations=now,
        unapplied=sum((a.amount for a in later), unapplied),
    )
    events: list[PaymentPosted | PaymentAllocated | InvoicePaid] = [
        posted,
        *invoices_settled(now, open_invoices, account.customer_id, received_on),
    ]
    for allocation in sorted(later, key=lambda a: dated[a.invoice_id]):
        on = dated[allocation.invoice_id]
        events.append(
            PaymentAllocated(
                payment_id=payment_id,
                customer_id=account.customer_id,
                invoice_id=allocation.invoice_id,
                amount=allocation.amount,
                manual=False,
                allocated_on=on,
            )
        )
        events.extend(invoices_settled([allocation], open_invoices, account.customer_id, on))
    return events


@dataclass
class Payment:
    """One payment's stream: what was received and where it is allocated now.

    What is not allocated is unapplied cash; refunds are taken from a customer's unapplied
    cash as a whole, so the refundable balance lives in ``UnappliedCash``, not here.
    """

    payment_id: str
    customer_id: str
    amount: Money
    received_on: dt.date
    bank_transaction_id: str
    payer_reference: str | None = None
    allocations: dict[str, Money] = field(default_factory=dict)
    version: int = 1

    @classmethod
    def posted(cls, event: PaymentPosted) -> Payment:
        """State right after posting (stream version 1)."""
        payment = cls(
            payment_id=event.payment_id,
            customer_id=event.customer_id,
            amount=event.amount,
            received_on=event.received_on,
            bank_transaction_id=event.bank_transaction_id,
            payer_reference=event.payer_reference,
        )
        for allocation in event.allocations:
            payment._add(allocation.invoice_id, allocation.amount)
        return payment

    @classmethod
    def rebuild(cls, events: Iterable[EventModel]) -> Payment:
        """Fold a payment stream, which starts with ``PaymentPosted``."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, PaymentPosted):
            raise ValueError("a payment stream starts with PaymentPosted")
        payment = cls.posted(first)
        for event in stream:
            payment.apply(event)
        return payment

    def apply(self, event: EventModel) -> None:
        """Fold a later ``PaymentAllocated`` or ``PaymentUnallocated`` of this payment."""
        if (
            not isinstance(event, PaymentAllocated | PaymentUnallocated)
            or event.payment_id != self.payment_id
        ):
            raise ValueError(f"{type(event).__name__} does not belong to payment {self.payment_id}")
        sign = 1 if isinstance(event, PaymentAllocated) else -1
        self._add(event.invoice_id, event.amount * sign)
        self.version += 1

    def _add(self, invoice_id: str, amount: Money) -> None:
        total = self.allocations.get(invoice_id, Money.zero(self.amount.currency)) + amount
        if total.is_zero:
            self.allocations.pop(invoice_id, None)
        else:
            self.allocations[invoice_id] = total

    @property
    def allocated(self) -> Money:
        """Total currently allocated to invoices."""
        return sum(self.allocations.values(), Money.zero(self.amount.currency))
