"""Invoices: one per shipment, and the state of an invoice as its events accumulate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    DunningNoticeIssued,
    InvoiceIssued,
    InvoiceLine,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
)
from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.money import Money
from backoffice_events.receivables import LineCredited, line_amounts, open_amount_movements
from backoffice_platform.errors import DomainError, InvalidInput

from .accounts import BillingAccount

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"

InvoiceStatus = Literal["open", "paid", "written_off"]

# Events recorded on the invoice's own stream; only these advance its version.
_OWN_EVENTS = (InvoicePaid, InvoiceOverdue, DunningNoticeIssued, CreditNoteIssued, InvoiceWrittenOff)


def format_invoice_number(series: str, year: int, seq: int) -> str:
    """``INV-2026-000042``: series, year, and the gapless sequence within them (six digits minimum).

    The adapter keeps the counter per series and year in the database; this only renders it.
    """
    if not series or not series.isalnum() or not series.isupper():
        raise InvalidInput(
            f"series {series!r} must be upper-case letters/digits", field="series", rule="bad-series"
        )
    if not 1 <= year <= 9999:
        raise InvalidInput(f"year {year} out of range", field="year", rule="bad-year")
    if seq < 1:
        raise InvalidInput("sequence numbers start at 1", field="seq", rule="seq-not-positive")
    return f"{series}-{year:04d}-{seq:06d}"


def invoice_date_in_series(delivery_date: dt.date, last_issued: dt.date | None) -> dt.date:
    """The issue date of an invoice for goods delivered on ``delivery_date``, in the series of
    that date's year whose latest invoice so far is dated ``last_issued``.

    Numbers in a series never run against date order: an invoice is dated on its delivery
    date unless the series already holds a later invoice (a late shipment); then it takes that
    later date and keeps the delivery date as its own. Both dates are in the same year, so the
    series (``INV-<year>``) is always that of the delivery date.
    """
    if last_issued is None or last_issued <= delivery_date:
        return delivery_date
    return last_issued


def invoice_line(line: ShippedLine, currency: str, *, field: str = "line") -> InvoiceLine:
    """Price one shipped line by the shared rule (``backoffice_events.receivables.line_amounts``):
    half up to the currency's minor units, per line, never on the unrounded total:
    ``net = round(quantity * unit_price * (1 - discount_percent / 100))``,
    ``vat = round(net * vat_rate)``, ``gross = net + vat``.
    """
    if line.unit_price.currency != currency:
        raise DomainError(
            f"{field} is priced in {line.unit_price.currency}, the shipment in {currency}",
            field=f"{field}.unit_price.currency",
            rule="currency-mismatch",
        )
    amounts = line_amounts(line.quantity, line.unit_price, line.discount_percent, line.vat_rate)
    net, vat = amounts.net, amounts.vat
    return InvoiceLine(
        line_no=line.line_no,
        sku=line.sku,
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_percent=line.discount_percent,
        vat_rate=line.vat_rate,
        net=net,
        vat=vat,
        gross=net + vat,
    )


def invoice_for_shipment(
    shipped: OrderShipped,
    account: BillingAccount,
    invoice_id: str,
    number: str,
    issue_date: dt.date,
    delivery_date: dt.date | None = None,
) -> InvoiceIssued | None:
    """The invoice for one shipment, or ``None`` when there is nothing to bill.

    Rounding: each line is rounded half up to the currency's minor units,
    ``net = round(quantity * unit_price * (1 - discount_percent/100))``, ``vat = round(net * vat_rate)``,
    ``gross = net + vat``; the invoice's net, VAT and gross are the sums of the rounded line amounts,
    so the lines always add up to the totals.

    Due date is ``issue_date`` plus the account's payment terms. ``delivery_date`` is the
    shipment's business date (see ``invoice_date_in_series`` for when it differs).

    Not invoiced (``None``): free replacement shipments (``replacement_for`` set; they are
    remedies, shipped at zero price) and shipments whose every line is at zero price.

    Rules: ``account-of-other-customer``, ``currency-mismatch`` (shipment or a line priced in
    another currency than the account's), ``shipment-has-no-lines``.
    """
    if shipped.replacement_for is not None:
        return None
    if shipped.customer_id != account.customer_id:
        raise DomainError(
            f"shipment is for customer {shipped.customer_id}, account belongs to {account.customer_id}",
            field="customer_id",
            rule="account-of-other-customer",
        )
    if shipped.currency != account.currency:
        raise DomainError(
            f"shipment is in {shipped.currency}, the billing account in {account.currency}",
            field="currency",
            rule="currency-mismatch",
        )
    if not shipped.lines:
        raise DomainError(
            "a shipment without lines cannot be invoiced", field="lines", rule="shipment-has-no-lines"
        )
    if all(line.unit_price.is_zero for line in shipped.lines):
        return None
    lines = [
        invoice_line(line, account.currency, field=f"lines[{i}]") for i, line in enumerate(shipped.lines)
    ]
    zero = Money.zero(account.currency)
    net = sum((line.net for line in lines), zero)
    vat = sum((line.vat for line in lines), zero)
    return InvoiceIssued(
        invoice_id=invoice_id,
        customer_id=account.customer_id,
        number=number,
        order_id=shipped.order_id,
        shipment_id=shipped.shipment_id,
        issue_date=issue_date,
        due_date=account.due_date(issue_date),
        currency=account.currency,
        lines=lines,
        net=net,
        vat=vat,
        gross=net + vat,
        delivery_date=delivery_date,
    )


@dataclass(frozen=True)
class OpenInvoice:
    """What allocation needs to know about an invoice that is still (partly) unpaid."""

    invoice_id: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    open_amount: Money


@dataclass
class Invoice:
    """An invoice's state, folded from its events.

    ``apply`` takes the invoice's own stream (issued, paid, overdue, dunning, credit notes,
    write-off; each advances ``version``) and also the payment events that touch it
    (``PaymentPosted`` allocations, ``PaymentAllocated``, ``PaymentUnallocated``), which live on
    payment streams and therefore do not advance the invoice's version.

    ``open_amount = gross - paid - credit applied - written off``. Status: ``written_off`` once
    written off, else ``paid`` when nothing is open (by payment or credit), else ``open``; an
    allocation reversed later reopens a paid invoice.
    """

    invoice_id: str
    customer_id: str
    number: str
    order_id: str
    shipment_id: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    net: Money
    vat: Money
    gross: Money
    paid: Money
    credited: Money
    credit_applied: Money
    written_off: Money
    is_written_off: bool = False
    delivery_date: dt.date | None = None
    paid_on: dt.date | None = None
    overdue: bool = False
    dunning_level: int = 0
    last_dunned_on: dt.date | None = None
    version: int = 1
    lines: tuple[InvoiceLine, ...] = ()
    # What credit notes took from each line (by line number), so the next credit knows the rest.
    credited_lines: dict[int, LineCredited] = field(default_factory=dict)

    @classmethod
    def issued(cls, event: InvoiceIssued) -> Invoice:
        """State right after issue (stream version 1)."""
        zero = Money.zero(event.currency)
        return cls(
            invoice_id=event.invoice_id,
            customer_id=event.customer_id,
            number=event.number,
            order_id=event.order_id,
            shipment_id=event.shipment_id,
            issue_date=event.issue_date,
            delivery_date=event.delivery_date,
            due_date=event.due_date,
            currency=event.currency,
            net=event.net,
            vat=event.vat,
            gross=event.gross,
            paid=zero,
            credited=zero,
            credit_applied=zero,
            written_off=zero,
            lines=tuple(event.lines),
        )

    @classmethod
    def rebuild(cls, events: Iterable[EventModel]) -> Invoice:
        """Fold events that start with this invoice's ``InvoiceIssued``."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, InvoiceIssued):
            raise ValueError("an invoice's history starts with InvoiceIssued")
        invoice = cls.issued(first)
        for event in stream:
            invoice.apply(event)
        return invoice

    def apply(self, event: EventModel) -> None:
        """Fold one event into the state. Payment events for other invoices are ignored."""
        if isinstance(event, PaymentPosted | PaymentAllocated | PaymentUnallocated):
            # The shared open-amount rule: a payment's movement on an invoice is what it paid.
            for movement in open_amount_movements(event):
                if movement.invoice_id == self.invoice_id:
                    self.paid -= movement.amount
            return
        if not isinstance(event, _OWN_EVENTS) or event.invoice_id != self.invoice_id:
            raise ValueError(f"{type(event).__name__} does not belong to invoice {self.invoice_id}")
        if isinstance(event, InvoicePaid):
            self.paid_on = event.paid_on
        elif isinstance(event, InvoiceOverdue):
            self.overdue = True
        elif isinstance(event, DunningNoticeIssued):
            self.dunning_level = max(self.dunning_level, event.level)
            self.last_dunned_on = event.as_of
        elif isinstance(event, CreditNoteIssued):
            self.credited += event.gross
            self.credit_applied += event.applied
            zero = Money.zero(self.currency)
            for line in event.lines:
                done = self.credited_lines.get(line.line_no) or LineCredited(zero, zero)
                self.credited_lines[line.line_no] = done.plus(line)
        elif isinstance(event, InvoiceWrittenOff):
            self.written_off += event.amount
            self.is_written_off = True
        self.version += 1

    @property
    def open_amount(self) -> Money:
        """What the customer still owes on this invoice: ``gross - paid - credit applied -
        written off`` (the movements of ``backoffice_events.receivables.open_amount_movements``)."""
        return self.gross - self.paid - self.credit_applied - self.written_off

    @property
    def status(self) -> InvoiceStatus:
        if self.is_written_off:
            return "written_off"
        return "open" if self.open_amount.is_positive else "paid"

    def days_overdue(self, as_of: dt.date) -> int:
        """Days past the due date at ``as_of`` (0 when not yet due)."""
        return max(0, (as_of - self.due_date).days)

    def is_overdue(self, as_of: dt.date) -> bool:
        """Open and past its due date at ``as_of``."""
        return self.status == "open" and as_of > self.due_date

    def as_open_invoice(self) -> OpenInvoice:
        """The view allocation works with."""
        return OpenInvoice(
            invoice_id=self.invoice_id,
            number=self.number,
            issue_date=self.issue_date,
            due_date=self.due_date,
            open_amount=self.open_amount if self.status == "open" else Money.zero(self.currency),
        )
