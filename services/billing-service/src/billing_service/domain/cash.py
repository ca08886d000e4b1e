"""A customer's unapplied cash: where it came from and how it is applied to invoices.

Unapplied cash has two sources: the unallocated rest of a payment, and the surplus of a
credit note issued on an invoice that was already (partly) paid. Each source is known by its
id (payment id or credit note id) and that id is what ``PaymentAllocated.payment_id`` and
``PaymentUnallocated.payment_id`` name. Refunds are taken from the customer's unapplied cash
as a whole, oldest source first.

The state is folded from the customer's cash events in the order they were recorded, which
spans several streams (payments, invoices, refunds). The adapter must therefore serialise
cash operations per customer (for instance by locking the customer's billing account) so two
allocations cannot both spend the same cash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    InvoicePaid,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
)
from backoffice_events.money import Money
from backoffice_platform.errors import DomainError, InvalidInput, NotFound

from .amounts import check_amount, require_text
from .invoices import Invoice, OpenInvoice
from .payments import apply_unapplied_cash


def allocation_date(on: dt.date, received_on: dt.date, invoice_date: dt.date) -> dt.date:
    """The date an application of cash to an invoice counts on: ``on`` (when it is decided),
    but never before the cash was received nor before the invoice's date. So cash received
    before its invoice stays unapplied until the invoice's date, and billing's statement and
    the ledger (which both date the allocation by this) agree on every date."""
    return max(on, received_on, invoice_date)


CashSourceKind = Literal["payment", "credit_note"]


@dataclass
class CashSource:
    """One origin of unapplied cash and how much of it is still unapplied."""

    source_id: str
    kind: CashSourceKind
    received_on: dt.date
    unapplied: Money


class UnappliedCash:
    """A customer's unapplied cash, by source, folded from the customer's cash events."""

    def __init__(self, customer_id: str, currency: str) -> None:
        self.customer_id = customer_id
        self.currency = currency
        self._sources: dict[str, CashSource] = {}
        self._allocated: dict[tuple[str, str], Money] = {}

    @classmethod
    def rebuild(cls, customer_id: str, currency: str, events: Iterable[EventModel]) -> UnappliedCash:
        """Fold the customer's history in recorded order (events that do not move cash are skipped)."""
        cash = cls(customer_id, currency)
        for event in events:
            cash.apply(event)
        return cash

    # folding -----------------------------------------------------------------------
    def apply(self, event: EventModel) -> None:
        """Fold one event. Events that do not move unapplied cash are ignored."""
        if not isinstance(
            event, PaymentPosted | PaymentAllocated | PaymentUnallocated | CreditNoteIssued | RefundIssued
        ):
            return
        if event.customer_id != self.customer_id:
            raise ValueError(
                f"{type(event).__name__} belongs to customer {event.customer_id}, not {self.customer_id}"
            )
        if isinstance(event, PaymentPosted):
            source = self._source_or_new(event.payment_id, event.received_on)
            source.received_on = event.received_on
            source.unapplied += event.unapplied
            for allocation in event.allocations:
                self._move_allocated(event.payment_id, allocation.invoice_id, allocation.amount)
        elif isinstance(event, PaymentAllocated):
            self._source_or_new(event.payment_id, event.allocated_on).unapplied -= event.amount
            self._move_allocated(event.payment_id, event.invoice_id, event.amount)
        elif isinstance(event, PaymentUnallocated):
            self._source_or_new(event.payment_id, event.unallocated_on).unapplied += event.amount
            self._move_allocated(event.payment_id, event.invoice_id, -event.amount)
        elif isinstance(event, CreditNoteIssued):
            if event.unapplied.is_positive:
                self._sources[event.credit_note_id] = CashSource(
                    event.credit_note_id, "credit_note", event.issue_date, event.unapplied
                )
        else:
            self._take_oldest_first(event.amount)

    def _source_or_new(self, source_id: str, on: dt.date | None) -> CashSource:
        # A source unseen so far can only come from an incomplete history; keep the sums right.
        if source_id not in self._sources:
            self._sources[source_id] = CashSource(source_id, "payment", on or dt.date.min, self._zero)
        return self._sources[source_id]

    def _move_allocated(self, source_id: str, invoice_id: str, amount: Money) -> None:
        key = (source_id, invoice_id)
        self._allocated[key] = self._allocated.get(key, self._zero) + amount

    def _take_oldest_first(self, amount: Money) -> None:
        remaining = amount
        for source in self.sources:
            taken = remaining.min(source.unapplied)
            source.unapplied -= taken
            remaining -= taken
            if remaining.is_zero:
                break

    # reading -----------------------------------------------------------------------
    @property
    def _zero(self) -> Money:
        return Money.zero(self.currency)

    @property
    def balance(self) -> Money:
        """Total unapplied cash of the customer."""
        return sum((source.unapplied for source in self._sources.values()), self._zero)

    @property
    def sources(self) -> list[CashSource]:
        """Sources that still hold unapplied cash, oldest first (date received, then recorded order)."""
        held = [source for source in self._sources.values() if source.unapplied.is_positive]
        return sorted(held, key=lambda source: source.received_on)

    def source(self, source_id: str) -> CashSource:
        """The source with this id (``NotFound``, rule ``payment-not-found``)."""
        try:
            return self._sources[source_id]
        except KeyError:
            raise NotFound(
                f"no payment or credit {source_id} for customer {self.customer_id}",
                field="payment_id",
                rule="payment-not-found",
            ) from None

    def allocated_to(self, source_id: str, invoice_id: str) -> Money:
        """What this source currently has allocated to this invoice."""
        return self._allocated.get((source_id, invoice_id), self._zero)

    # deciding ----------------------------------------------------------------------
    def apply_to(
        self, open_invoices: Sequence[OpenInvoice], on: dt.date
    ) -> list[PaymentAllocated | InvoicePaid]:
        """Apply all unapplied cash to open invoices automatically, oldest cash to oldest due invoice.

        Returns ``PaymentAllocated`` (``manual=False``) per source and invoice, each followed by
        ``InvoicePaid`` when it settles the invoice. Nothing when there is no cash or nothing open.
        Each is dated by ``allocation_date`` (never before the invoice or the cash).
        """
        remaining = list(open_invoices)
        events: list[PaymentAllocated | InvoicePaid] = []
        for source in self.sources:
            allocations, _ = apply_unapplied_cash(source.unapplied, remaining)
            by_id = {invoice.invoice_id: invoice for invoice in remaining}
            for allocation in allocations:
                invoice = by_id[allocation.invoice_id]
                day = allocation_date(on, source.received_on, invoice.issue_date)
                events.append(
                    self._allocated_event(
                        source.source_id, allocation.invoice_id, allocation.amount, day, False
                    )
                )
                if allocation.amount == invoice.open_amount:
                    events.append(
                        InvoicePaid(invoice_id=invoice.invoice_id, customer_id=self.customer_id, paid_on=day)
                    )
            taken = {allocation.invoice_id: allocation.amount for allocation in allocations}
            remaining = [
                replace(invoice, open_amount=invoice.open_amount - taken.get(invoice.invoice_id, self._zero))
                for invoice in remaining
            ]
        return events

    def allocate(
        self, source_id: str, invoice: Invoice, amount: Money, on: dt.date
    ) -> list[PaymentAllocated | InvoicePaid]:
        """Allocate unapplied cash of one source to one invoice by hand.

        Returns ``PaymentAllocated`` (``manual=True``), plus ``InvoicePaid`` if it settles the invoice.
        Rules: ``invoice-of-other-customer``, ``currency-mismatch``, ``amount-not-positive``,
        ``too-many-decimals``, ``payment-not-found``, ``allocation-exceeds-payment`` (more than the
        source's unapplied cash), ``allocation-exceeds-open-amount`` (more than the invoice's open amount).
        """
        self._check_invoice(invoice)
        check_amount(amount, self.currency)
        return self._allocate(source_id, invoice, amount, on, available=self.source(source_id).unapplied)

    def apply_by_hand(
        self, invoice: Invoice, amount: Money, on: dt.date, source_id: str | None = None
    ) -> list[PaymentAllocated | InvoicePaid]:
        """Apply ``amount`` of the customer's unapplied cash, whatever its source, to one invoice
        by hand: from ``source_id`` when named, else oldest source first (a payment's surplus and a
        credit note's surplus alike), one ``PaymentAllocated`` (``manual=True``) per source used.

        Rules: ``invoice-of-other-customer``, ``currency-mismatch``, ``amount-not-positive``,
        ``too-many-decimals``, ``payment-not-found`` (an unknown ``source_id``),
        ``allocation-exceeds-unapplied`` (more than the customer's unapplied cash),
        ``allocation-exceeds-payment`` (more than the named source holds),
        ``allocation-exceeds-open-amount`` (a paid or written-off invoice has nothing open).
        """
        self._check_invoice(invoice)
        check_amount(amount, self.currency)
        if source_id is not None:
            return self.allocate(source_id, invoice, amount, on)
        if amount > self.balance:
            raise DomainError(
                f"customer {self.customer_id} has only {self.balance} unapplied",
                field="amount",
                rule="allocation-exceeds-unapplied",
            )
        open_amount = invoice.as_open_invoice().open_amount
        if amount > open_amount:
            raise DomainError(
                f"invoice {invoice.number} has only {open_amount} open",
                field="amount",
                rule="allocation-exceeds-open-amount",
            )
        events: list[PaymentAllocated | InvoicePaid] = []
        remaining = amount
        day = on
        for source in self.sources:
            taken = remaining.min(source.unapplied)
            day = allocation_date(on, source.received_on, invoice.issue_date)
            events.append(self._allocated_event(source.source_id, invoice.invoice_id, taken, day, True))
            remaining -= taken
            if remaining.is_zero:
                break
        if amount == open_amount:
            events.append(
                InvoicePaid(invoice_id=invoice.invoice_id, customer_id=self.customer_id, paid_on=day)
            )
        return events

    def unallocate(
        self, source_id: str, invoice: Invoice, amount: Money, reason: str, on: dt.date
    ) -> PaymentUnallocated:
        """Take back (part of) an allocation by hand; the amount returns to unapplied cash.

        Rules: ``invoice-of-other-customer``, ``currency-mismatch``, ``amount-not-positive``,
        ``too-many-decimals``, ``reason-required``, ``payment-not-found``, ``invoice-written-off``
        (a written-off invoice is closed), ``unallocation-exceeds-allocated``.
        """
        self._check_invoice(invoice)
        check_amount(amount, self.currency)
        reason = require_text(reason, field="reason", rule="reason-required")
        self.source(source_id)
        if invoice.status == "written_off":
            raise DomainError(
                f"invoice {invoice.number} is written off", field="invoice_id", rule="invoice-written-off"
            )
        allocated = self.allocated_to(source_id, invoice.invoice_id)
        if amount > allocated:
            raise DomainError(
                f"{source_id} has only {allocated} allocated to invoice {invoice.number}",
                field="amount",
                rule="unallocation-exceeds-allocated",
            )
        return PaymentUnallocated(
            payment_id=source_id,
            customer_id=self.customer_id,
            invoice_id=invoice.invoice_id,
            amount=amount,
            reason=reason,
            unallocated_on=on,
        )

    def reallocate(
        self,
        source_id: str,
        from_invoice: Invoice,
        to_invoice: Invoice,
        amount: Money,
        reason: str,
        on: dt.date,
    ) -> list[PaymentUnallocated | PaymentAllocated | InvoicePaid]:
        """Move an allocation from one invoice to another: ``PaymentUnallocated`` then ``PaymentAllocated``.

        Same rules as ``unallocate`` and ``allocate`` (the moved amount counts as available),
        plus ``same-invoice``.
        """
        if from_invoice.invoice_id == to_invoice.invoice_id:
            raise InvalidInput(
                "cannot reallocate to the same invoice", field="to_invoice_id", rule="same-invoice"
            )
        taken_back = self.unallocate(source_id, from_invoice, amount, reason, on)
        self._check_invoice(to_invoice)
        available = self.source(source_id).unapplied + amount
        return [taken_back, *self._allocate(source_id, to_invoice, amount, on, available=available)]

    def _check_invoice(self, invoice: Invoice) -> None:
        if invoice.customer_id != self.customer_id:
            raise DomainError(
                f"invoice {invoice.number} belongs to another customer",
                field="invoice_id",
                rule="invoice-of-other-customer",
            )
        if invoice.currency != self.currency:
            raise DomainError(
                f"invoice {invoice.number} is in {invoice.currency}, the cash in {self.currency}",
                field="invoice_id",
                rule="currency-mismatch",
            )

    def _allocate(
        self, source_id: str, invoice: Invoice, amount: Money, on: dt.date, *, available: Money
    ) -> list[PaymentAllocated | InvoicePaid]:
        if amount > available:
            raise DomainError(
                f"{source_id} has only {available} unapplied",
                field="amount",
                rule="allocation-exceeds-payment",
            )
        open_invoice = invoice.as_open_invoice()
        if amount > open_invoice.open_amount:
            raise DomainError(
                f"invoice {invoice.number} has only {open_invoice.open_amount} open",
                field="amount",
                rule="allocation-exceeds-open-amount",
            )
        day = allocation_date(on, self.source(source_id).received_on, invoice.issue_date)
        events: list[PaymentAllocated | InvoicePaid] = [
            self._allocated_event(source_id, invoice.invoice_id, amount, day, True)
        ]
        if amount == open_invoice.open_amount:
            events.append(
                InvoicePaid(invoice_id=invoice.invoice_id, customer_id=self.customer_id, paid_on=day)
            )
        return events

    def _allocated_event(
        self, source_id: str, invoice_id: str, amount: Money, on: dt.date, manual: bool
    ) -> PaymentAllocated:
        return PaymentAllocated(
            payment_id=source_id,
            customer_id=self.customer_id,
            invoice_id=invoice_id,
            amount=amount,
            manual=manual,
            allocated_on=on,
        )
