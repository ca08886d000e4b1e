"""Events of the receivables side of billing (topic ``backoffice.billing``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field

from ..money import Money
from .base import EventModel, register, upcaster
from .orders import Part
from .topics import BILLING


class InvoiceLine(Part):
    line_no: int
    sku: str
    description: str = ""
    quantity: int
    unit_price: Money
    discount_percent: Decimal = Decimal(0)
    vat_rate: Decimal
    net: Money
    vat: Money
    gross: Money


class Allocation(Part):
    invoice_id: str
    amount: Money


class _Invoice(EventModel):
    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "invoice"
    invoice_id: str
    customer_id: str


@register
class BillingAccountOpened(EventModel):
    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "billing_account"
    event_type: ClassVar[str] = "backoffice.billing.account_opened"
    customer_id: str
    currency: str
    payment_terms_days: int
    credit_limit: Money | None = None
    dunning_contact: str | None = None
    auto_apply_cash: bool = Field(
        default=True,
        description="whether the customer's unapplied cash is applied to each new invoice automatically",
    )


@register
class CashApplicationChanged(EventModel):
    """A clerk switched automatic application of the customer's unapplied cash on or off."""

    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "billing_account"
    event_type: ClassVar[str] = "backoffice.billing.cash_application_changed"
    customer_id: str
    auto_apply_cash: bool


@register
class InvoiceIssued(_Invoice):
    event_type: ClassVar[str] = "backoffice.billing.invoice_issued"
    number: str = Field(description="gapless per series and year, e.g. INV-2026-000042")
    order_id: str
    shipment_id: str
    issue_date: dt.date
    due_date: dt.date
    currency: str
    lines: list[InvoiceLine]
    net: Money
    vat: Money
    gross: Money
    delivery_date: dt.date | None = Field(
        default=None,
        description="the shipment's date in the company's time zone; the issue date is later only "
        "when the series already has a later invoice (numbers never run against date order)",
    )


@register
class PaymentPosted(EventModel):
    """A payment was received and allocated; what is not allocated is unapplied cash."""

    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "payment"
    event_type: ClassVar[str] = "backoffice.billing.payment_posted"
    payment_id: str
    customer_id: str
    amount: Money
    received_on: dt.date
    payer_reference: str | None = None
    bank_transaction_id: str
    allocations: list[Allocation]
    unapplied: Money


@register
class PaymentAllocated(EventModel):
    """Unapplied cash of a customer was applied to an invoice (automatically or by hand)."""

    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "payment"
    event_type: ClassVar[str] = "backoffice.billing.payment_allocated"
    payment_id: str
    customer_id: str
    invoice_id: str
    amount: Money
    manual: bool = False
    allocated_on: dt.date | None = Field(
        default=None, description="business date of the allocation (statements at a past date)"
    )


@register
class PaymentUnallocated(EventModel):
    """An allocation was reversed by hand; the amount returns to unapplied cash."""

    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "payment"
    event_type: ClassVar[str] = "backoffice.billing.payment_unallocated"
    payment_id: str
    customer_id: str
    invoice_id: str
    amount: Money
    reason: str
    unallocated_on: dt.date | None = Field(
        default=None, description="business date of the reversal (statements at a past date)"
    )


@register
class InvoicePaid(_Invoice):
    event_type: ClassVar[str] = "backoffice.billing.invoice_paid"
    paid_on: dt.date


@register
class InvoiceOverdue(_Invoice):
    event_type: ClassVar[str] = "backoffice.billing.invoice_overdue"
    due_date: dt.date
    as_of: dt.date
    open_amount: Money


@register
class DunningNoticeIssued(_Invoice):
    event_type: ClassVar[str] = "backoffice.billing.dunning_notice_issued"
    level: int = Field(ge=1)
    level_name: Literal["reminder", "second_reminder", "final_notice"] | str
    days_overdue: int
    as_of: dt.date
    open_amount: Money
    contact: str | None = None


class CreditNoteLine(Part):
    """One credited invoice line: VAT at the line's own rate."""

    line_no: int = Field(description="the invoice line credited")
    sku: str
    description: str = ""
    quantity: int | None = Field(default=None, description="units credited, when credited by quantity")
    vat_rate: Decimal
    net: Money
    vat: Money
    gross: Money


class VatRateAmount(Part):
    """Taxable net and VAT at one rate (``vat_rate`` null: not known, see ``CreditNoteIssuedV1``)."""

    vat_rate: Decimal | None
    taxable: Money
    vat: Money


@register
class CreditNoteIssuedV1(_Invoice):
    """First published shape: blended totals only, VAT taken from the invoice's VAT/gross ratio.
    Kept for old records; decoded as version 2 (see ``_credit_note_issued_v1_to_v2``)."""

    event_type: ClassVar[str] = "backoffice.billing.credit_note_issued"
    event_version: ClassVar[int] = 1
    credit_note_id: str
    number: str
    net: Money
    vat: Money
    gross: Money
    applied: Money
    unapplied: Money
    reason: str
    remedy_id: str | None = None
    ticket_id: str | None = None
    issue_date: dt.date


@register
class CreditNoteIssued(_Invoice):
    """Credit against an invoice, by line. ``applied`` reduced the invoice; ``unapplied`` went to
    the customer's unapplied cash (when the invoice was already paid).

    ``lines`` are the credited invoice lines with VAT at each line's own rate; ``vat_breakdown``
    is, per rate, the sum of the lines' net (``taxable``) and VAT; the totals are the sums of
    the lines."""

    event_type: ClassVar[str] = "backoffice.billing.credit_note_issued"
    event_version: ClassVar[int] = 2
    credit_note_id: str
    number: str
    lines: list[CreditNoteLine]
    vat_breakdown: list[VatRateAmount]
    net: Money
    vat: Money
    gross: Money
    applied: Money
    unapplied: Money
    reason: str
    remedy_id: str | None = None
    ticket_id: str | None = None
    issue_date: dt.date


@upcaster("backoffice.billing.credit_note_issued", from_version=1)
def _credit_note_issued_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 credit note named no lines and blended the invoice's rates, so no line or rate
    can be stated faithfully: it becomes no lines and ONE breakdown entry with ``vat_rate``
    null holding its whole net (taxable) and VAT, exactly as booked then."""
    data["lines"] = []
    data["vat_breakdown"] = [{"vat_rate": None, "taxable": data["net"], "vat": data["vat"]}]
    return data


@register
class InvoiceWrittenOff(_Invoice):
    event_type: ClassVar[str] = "backoffice.billing.invoice_written_off"
    amount: Money
    reason: str
    written_off_on: dt.date


@register
class RefundIssued(EventModel):
    """Unapplied cash paid back to the customer."""

    topic: ClassVar[str] = BILLING
    aggregate: ClassVar[str] = "refund"
    event_type: ClassVar[str] = "backoffice.billing.refund_issued"
    refund_id: str
    customer_id: str
    amount: Money
    refunded_on: dt.date
    reason: str = ""
