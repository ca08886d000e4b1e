"""Credit notes, write-offs and refunds: the ways an invoice or a customer's cash is reduced
other than by payment."""

from __future__ import annotations

import datetime as dt

from backoffice_events.catalog.billing import CreditNoteIssued, InvoicePaid, InvoiceWrittenOff, RefundIssued
from backoffice_events.money import Money
from backoffice_platform.errors import DomainError

from .amounts import check_amount, require_text, round_half_up
from .cash import UnappliedCash
from .invoices import Invoice


def issue_credit_note(
    invoice: Invoice,
    gross_amount: Money,
    reason: str,
    credit_note_id: str,
    number: str,
    issue_date: dt.date,
    remedy_id: str | None = None,
    ticket_id: str | None = None,
) -> list[CreditNoteIssued | InvoicePaid]:
    """Credit (part of) an invoice.

    The VAT share follows the invoice's own VAT/gross ratio, rounded half up:
    ``vat = round(gross_amount * invoice.vat / invoice.gross)``, ``net = gross_amount - vat``.
    ``applied = min(gross_amount, open amount)`` reduces the invoice; the rest (``unapplied``)
    becomes unapplied cash of the customer, as when the invoice was already paid.

    Returns ``CreditNoteIssued``, followed by ``InvoicePaid`` when the credit settles what
    was still open.

    Rules: ``currency-mismatch``, ``too-many-decimals``, ``amount-not-positive``,
    ``reason-required``, ``invoice-written-off``, ``credit-exceeds-invoiced`` (more than the
    invoice's gross minus what was already credited).
    """
    check_amount(gross_amount, invoice.currency)
    reason = require_text(reason, field="reason", rule="reason-required")
    if invoice.status == "written_off":
        # The customer never paid what was written off, so a credit would hand out cash.
        raise DomainError(
            f"invoice {invoice.number} is written off", field="invoice_id", rule="invoice-written-off"
        )
    creditable = invoice.gross - invoice.credited
    if gross_amount > creditable:
        raise DomainError(
            f"only {creditable} of invoice {invoice.number} can still be credited",
            field="amount",
            rule="credit-exceeds-invoiced",
        )
    vat = round_half_up(
        Money(gross_amount.amount * invoice.vat.amount / invoice.gross.amount, invoice.currency)
    )
    open_amount = invoice.as_open_invoice().open_amount
    applied = gross_amount.min(open_amount)
    credit = CreditNoteIssued(
        invoice_id=invoice.invoice_id,
        customer_id=invoice.customer_id,
        credit_note_id=credit_note_id,
        number=number,
        net=gross_amount - vat,
        vat=vat,
        gross=gross_amount,
        applied=applied,
        unapplied=gross_amount - applied,
        reason=reason,
        remedy_id=remedy_id,
        ticket_id=ticket_id,
        issue_date=issue_date,
    )
    events: list[CreditNoteIssued | InvoicePaid] = [credit]
    if applied.is_positive and applied == open_amount:
        events.append(
            InvoicePaid(invoice_id=invoice.invoice_id, customer_id=invoice.customer_id, paid_on=issue_date)
        )
    return events


def write_off(invoice: Invoice, reason: str, written_off_on: dt.date) -> InvoiceWrittenOff:
    """Write off everything still open on an invoice as bad debt; it leaves collections.

    Rules: ``reason-required``, ``nothing-to-write-off`` (paid, already written off, or nothing open).
    """
    reason = require_text(reason, field="reason", rule="reason-required")
    if invoice.status != "open":
        raise DomainError(
            f"invoice {invoice.number} has nothing open to write off ({invoice.status})",
            field="invoice_id",
            rule="nothing-to-write-off",
        )
    return InvoiceWrittenOff(
        invoice_id=invoice.invoice_id,
        customer_id=invoice.customer_id,
        amount=invoice.open_amount,
        reason=reason,
        written_off_on=written_off_on,
    )


def issue_refund(
    cash: UnappliedCash, refund_id: str, amount: Money, refunded_on: dt.date, reason: str = ""
) -> RefundIssued:
    """Pay unapplied cash back to the customer.

    Rules: ``currency-mismatch``, ``too-many-decimals``, ``amount-not-positive``,
    ``refund-exceeds-unapplied`` (more than the customer's unapplied cash).
    """
    check_amount(amount, cash.currency)
    if amount > cash.balance:
        raise DomainError(
            f"customer {cash.customer_id} has only {cash.balance} unapplied",
            field="amount",
            rule="refund-exceeds-unapplied",
        )
    return RefundIssued(
        refund_id=refund_id,
        customer_id=cash.customer_id,
        amount=amount,
        refunded_on=refunded_on,
        reason=reason.strip(),
    )
