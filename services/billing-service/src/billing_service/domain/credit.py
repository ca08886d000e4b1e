"""Credit notes, write-offs and refunds: the ways an invoice or a customer's cash is reduced
other than by payment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from backoffice_events.catalog.billing import CreditNoteIssued, InvoicePaid, InvoiceWrittenOff, RefundIssued
from backoffice_events.money import Money
from backoffice_events.receivables import (
    LineCreditRequest,
    ReceivablesError,
    credit_lines,
    proportional_requests,
    vat_breakdown,
)
from backoffice_platform.errors import DomainError, InvalidInput

from .amounts import check_amount, require_text
from .cash import UnappliedCash
from .invoices import Invoice


def issue_credit_note(
    invoice: Invoice,
    lines: Sequence[LineCreditRequest] | None,
    reason: str,
    credit_note_id: str,
    number: str,
    issue_date: dt.date,
    remedy_id: str | None = None,
    ticket_id: str | None = None,
    *,
    amount: Money | None = None,
) -> list[CreditNoteIssued | InvoicePaid]:
    """Credit (part of) an invoice, by line.

    ``lines`` name invoice lines, each with a quantity or a gross amount; none (and no
    ``amount``) credits everything still creditable. A bare gross ``amount`` (an amount-only
    credit, e.g. a version 1 support remedy) is spread over the lines in proportion to what each
    can still be credited (``receivables.proportional_requests``). The amounts per line, VAT at
    each line's own rate and the remainder rule are the shared rules of
    ``backoffice_events.receivables.credit_lines``; the credit note states its VAT per rate.

    ``applied = min(gross, open amount)`` reduces the invoice; the rest (``unapplied``) becomes
    unapplied cash of the customer, as when the invoice was already paid.

    Returns ``CreditNoteIssued``, followed by ``InvoicePaid`` when the credit settles what
    was still open.

    Rules: ``reason-required``, ``invoice-written-off``, ``credit-lines-or-amount`` (both given),
    ``credit-exceeds-invoiced`` (more than the invoice's gross minus what was already credited),
    the amount rules, and those of ``credit_lines``: ``unknown-invoice-line``,
    ``credit-line-twice``, ``credit-exceeds-line``, ``credit-quantity-or-amount``,
    ``quantity-not-positive``, ``nothing-to-credit``.
    """
    reason = require_text(reason, field="reason", rule="reason-required")
    if invoice.status == "written_off":
        # The customer never paid what was written off, so a credit would hand out cash.
        raise DomainError(
            f"invoice {invoice.number} is written off", field="invoice_id", rule="invoice-written-off"
        )
    if lines and amount is not None:
        raise InvalidInput(
            "name lines or a gross amount, not both", field="amount", rule="credit-lines-or-amount"
        )
    try:
        if amount is not None:
            check_amount(amount, invoice.currency)
            lines = proportional_requests(invoice.lines, invoice.credited_lines, amount)
        credited = credit_lines(invoice.lines, invoice.credited_lines, lines)
    except ReceivablesError as exc:
        raise DomainError(exc.detail, field=exc.field, rule=exc.rule) from None
    zero = Money.zero(invoice.currency)
    net = sum((line.net for line in credited), zero)
    vat = sum((line.vat for line in credited), zero)
    gross = net + vat
    creditable = invoice.gross - invoice.credited
    if gross > creditable:  # credit notes of version 1 named no lines: keep the invoice-wide cap
        raise DomainError(
            f"only {creditable} of invoice {invoice.number} can still be credited",
            field="lines",
            rule="credit-exceeds-invoiced",
        )
    open_amount = invoice.as_open_invoice().open_amount
    applied = gross.min(open_amount)
    credit = CreditNoteIssued(
        invoice_id=invoice.invoice_id,
        customer_id=invoice.customer_id,
        credit_note_id=credit_note_id,
        number=number,
        lines=credited,
        vat_breakdown=vat_breakdown(credited, invoice.currency),
        net=net,
        vat=vat,
        gross=gross,
        applied=applied,
        unapplied=gross - applied,
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
