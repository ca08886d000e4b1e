"""Customer statements: what a customer owes and what happened on the account, at any date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
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

from .invoices import Invoice
from .payments import oldest_due_first


@dataclass(frozen=True)
class StatementOpenItem:
    invoice_id: str
    number: str
    issue_date: dt.date
    due_date: dt.date
    gross: Money
    open_amount: Money
    days_overdue: int


@dataclass(frozen=True)
class StatementPayment:
    payment_id: str
    received_on: dt.date
    amount: Money
    reference: str | None


@dataclass(frozen=True)
class StatementCredit:
    credit_note_id: str
    number: str
    invoice_id: str
    issue_date: dt.date
    gross: Money


@dataclass(frozen=True)
class StatementRefund:
    refund_id: str
    refunded_on: dt.date
    amount: Money


@dataclass(frozen=True)
class CustomerStatement:
    """A customer's position at ``as_of``.

    ``balance = total_open - unapplied_cash``: positive when the customer owes us, negative when
    we hold the customer's money. Open items and amounts are as of ``as_of``; the payment, credit
    and refund lists show the activity from ``period_start`` (inclusive, default: the beginning)
    to ``as_of``.
    """

    customer_id: str
    currency: str
    as_of: dt.date
    period_start: dt.date | None
    open_items: tuple[StatementOpenItem, ...]
    payments: tuple[StatementPayment, ...]
    credits: tuple[StatementCredit, ...]
    refunds: tuple[StatementRefund, ...]
    total_open: Money
    unapplied_cash: Money
    balance: Money


_Fact = (
    InvoiceIssued
    | InvoicePaid
    | InvoiceOverdue
    | DunningNoticeIssued
    | CreditNoteIssued
    | InvoiceWrittenOff
    | PaymentPosted
    | PaymentAllocated
    | PaymentUnallocated
    | RefundIssued
)


def _business_date(fact: _Fact) -> dt.date:
    if isinstance(fact, InvoiceIssued | CreditNoteIssued):
        return fact.issue_date
    if isinstance(fact, InvoicePaid):
        return fact.paid_on
    if isinstance(fact, InvoiceOverdue | DunningNoticeIssued):
        return fact.as_of
    if isinstance(fact, InvoiceWrittenOff):
        return fact.written_off_on
    if isinstance(fact, PaymentPosted):
        return fact.received_on
    if isinstance(fact, RefundIssued):
        return fact.refunded_on
    # Allocation events recorded before they carried a date count from the beginning.
    on = fact.allocated_on if isinstance(fact, PaymentAllocated) else fact.unallocated_on
    return on or dt.date.min


def customer_statement(
    customer_id: str,
    currency: str,
    as_of: dt.date,
    facts: Iterable[EventModel],
    period_start: dt.date | None = None,
) -> CustomerStatement:
    """The statement of one customer at ``as_of``, from the customer's billing events in any order.

    Only facts dated on or before ``as_of`` count (issue, receipt, allocation, credit, write-off
    and refund dates); facts of other customers and events that are not receivables are ignored.
    """
    relevant = [
        fact
        for fact in facts
        if isinstance(fact, _Fact) and fact.customer_id == customer_id and _business_date(fact) <= as_of
    ]
    invoices = {fact.invoice_id: Invoice.issued(fact) for fact in relevant if isinstance(fact, InvoiceIssued)}
    zero = Money.zero(currency)
    unapplied = zero
    for fact in relevant:
        if isinstance(fact, InvoiceIssued):
            continue
        if isinstance(fact, PaymentPosted):
            unapplied += fact.unapplied
            for invoice_id in {allocation.invoice_id for allocation in fact.allocations}:
                if invoice_id in invoices:
                    invoices[invoice_id].apply(fact)
        elif isinstance(fact, RefundIssued):
            unapplied -= fact.amount
        else:
            if isinstance(fact, PaymentAllocated):
                unapplied -= fact.amount
            elif isinstance(fact, PaymentUnallocated):
                unapplied += fact.amount
            elif isinstance(fact, CreditNoteIssued):
                unapplied += fact.unapplied
            if fact.invoice_id in invoices:
                invoices[fact.invoice_id].apply(fact)

    def in_period(on: dt.date) -> bool:
        return period_start is None or on >= period_start

    open_invoices = [invoice for invoice in invoices.values() if invoice.status == "open"]
    by_id = {invoice.invoice_id: invoice for invoice in open_invoices}
    open_items = tuple(
        StatementOpenItem(
            invoice_id=item.invoice_id,
            number=item.number,
            issue_date=item.issue_date,
            due_date=item.due_date,
            gross=by_id[item.invoice_id].gross,
            open_amount=item.open_amount,
            days_overdue=by_id[item.invoice_id].days_overdue(as_of),
        )
        for item in oldest_due_first(invoice.as_open_invoice() for invoice in open_invoices)
    )
    payments = tuple(
        StatementPayment(fact.payment_id, fact.received_on, fact.amount, fact.payer_reference)
        for fact in sorted(
            (f for f in relevant if isinstance(f, PaymentPosted) and in_period(f.received_on)),
            key=lambda f: f.received_on,
        )
    )
    credits = tuple(
        StatementCredit(fact.credit_note_id, fact.number, fact.invoice_id, fact.issue_date, fact.gross)
        for fact in sorted(
            (f for f in relevant if isinstance(f, CreditNoteIssued) and in_period(f.issue_date)),
            key=lambda f: f.issue_date,
        )
    )
    refunds = tuple(
        StatementRefund(fact.refund_id, fact.refunded_on, fact.amount)
        for fact in sorted(
            (f for f in relevant if isinstance(f, RefundIssued) and in_period(f.refunded_on)),
            key=lambda f: f.refunded_on,
        )
    )
    total_open = sum((item.open_amount for item in open_items), zero)
    return CustomerStatement(
        customer_id=customer_id,
        currency=currency,
        as_of=as_of,
        period_start=period_start,
        open_items=open_items,
        payments=payments,
        credits=credits,
        refunds=refunds,
        total_open=total_open,
        unapplied_cash=unapplied,
        balance=total_open - unapplied,
    )
