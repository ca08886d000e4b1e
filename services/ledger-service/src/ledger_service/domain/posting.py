"""Posting rules: each billing/payables event becomes balanced journal entries.

| event                | debit                             | credit                                  |
|----------------------|-----------------------------------|-----------------------------------------|
| InvoiceIssued        | AR(customer) gross                | revenue net, VAT output vat (per rate)  |
| PaymentPosted        | cash amount                       | AR(customer) allocated,                 |
|                      |                                   | unapplied(customer) the rest            |
| PaymentAllocated     | unapplied(customer)               | AR(customer)                            |
| PaymentUnallocated   | AR(customer)                      | unapplied(customer)                     |
| CreditNoteIssued     | sales returns net (per line),     | AR(customer) applied,                   |
|                      | VAT output vat (per rate)         |                                         |
|                      |                                   | unapplied(customer) unapplied           |
| InvoiceWrittenOff    | bad debt                          | AR(customer)                            |
| RefundIssued         | unapplied(customer)               | cash                                    |
| SupplierBillApproved | expense (per line account) net,   | AP(supplier) gross                      |
|                      | VAT input vat (per rate)          |                                         |
| SupplierPaymentMade  | AP(supplier)                      | cash                                    |

Events in ``NOT_POSTED`` produce no entry. Any other event type is refused
(``event-type-not-posted``): a new money event must get a rule before the books take it,
rather than be skipped silently. Every event's own numbers are checked first by the shared
receivables rules (``backoffice_events.receivables.check_money_event``: totals add up, lines
add up, one currency, no negative totals, a credit note's lines and VAT breakdown add up); an
event that fails is a ``PostingError`` for the adapter to dead-letter.

Lines on revenue, sales returns, VAT and expense accounts carry the VAT rate and the document
(invoice id for invoices and credit notes, bill id for supplier bills), so VAT per rate can be
read from the books; a credit note's VAT is booked per rate exactly as the note states it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    BillingAccountOpened,
    CashApplicationChanged,
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
from backoffice_events.catalog.payables import (
    SupplierBillApproved,
    SupplierBillReceived,
    SupplierBillRejected,
    SupplierPaymentMade,
    SupplierRegistered,
)
from backoffice_events.money import Money
from backoffice_events.receivables import ReceivablesError, allocated_amount, check_money_event, vat_breakdown

from .accounts import DEFAULT_CHART, AccountRole, ChartOfAccounts, PartyKind
from .entries import JournalEntry, JournalLine, entry_id_for
from .errors import PostingError

_ZERO = Decimal(0)

POSTED: tuple[type[EventModel], ...] = (
    InvoiceIssued,
    PaymentPosted,
    PaymentAllocated,
    PaymentUnallocated,
    CreditNoteIssued,
    InvoiceWrittenOff,
    RefundIssued,
    SupplierBillApproved,
    SupplierPaymentMade,
)
"""Event types that move money in the books."""

NOT_POSTED: tuple[type[EventModel], ...] = (
    BillingAccountOpened,
    CashApplicationChanged,  # a setting of the account; moves no money
    InvoicePaid,
    InvoiceOverdue,
    DunningNoticeIssued,
    SupplierRegistered,
    SupplierBillReceived,  # the liability arises on approval, not on receipt
    SupplierBillRejected,
)
"""Event types the ledger reads but that post nothing."""


def business_date(event: EventModel, occurred_on: dt.date) -> dt.date:
    """The date an event counts on in the books: its own business date (issue date,
    received date, allocation date, ...) where it has one, else ``occurred_on`` (the envelope's time as a
    date, which the adapter passes in)."""
    match event:
        case InvoiceIssued() | CreditNoteIssued():
            return event.issue_date
        case PaymentPosted():
            return event.received_on
        case InvoiceWrittenOff():
            return event.written_off_on
        case RefundIssued():
            return event.refunded_on
        case SupplierBillApproved():
            return event.approved_on
        case SupplierPaymentMade() | InvoicePaid():
            return event.paid_on
        case PaymentAllocated() if event.allocated_on is not None:
            return event.allocated_on
        case PaymentUnallocated() if event.unallocated_on is not None:
            return event.unallocated_on
        case _:
            return occurred_on


_Tax = tuple[Decimal | None, str] | None
"""(VAT rate, document id) a revenue, returns, VAT or expense line belongs to."""


@dataclass
class _Draft:
    """Lines being collected for one event, before they are split per currency."""

    description: str
    lines: list[JournalLine] = field(default_factory=list)

    def debit(
        self, account: str, amount: Money, party: tuple[PartyKind, str] | None = None, tax: _Tax = None
    ) -> None:
        self._add(account, amount.amount, amount.currency, party, tax)

    def credit(
        self, account: str, amount: Money, party: tuple[PartyKind, str] | None = None, tax: _Tax = None
    ) -> None:
        self._add(account, -amount.amount, amount.currency, party, tax)

    def _add(
        self, account: str, net: Decimal, currency: str, party: tuple[PartyKind, str] | None, tax: _Tax
    ) -> None:
        # ``net`` is debit-positive, so a negative amount on one side lands on the other
        # (e.g. a bill whose credit lines outweigh its charges for one expense account).
        if net == 0:
            return  # e.g. a 0 % VAT line or nothing unapplied: no line at all
        kind, party_id = party if party else (None, None)
        rate, document = tax if tax else (None, None)
        self.lines.append(
            JournalLine(
                account=account,
                debit=net if net > 0 else _ZERO,
                credit=-net if net < 0 else _ZERO,
                currency=currency,
                party_kind=kind,
                party_id=party_id,
                vat_rate=rate,
                document_id=document,
            )
        )

    def entries(self, event: EventModel, event_id: str, posted_on: dt.date) -> list[JournalEntry]:
        by_currency: dict[str, list[JournalLine]] = {}
        for line in self.lines:
            by_currency.setdefault(line.currency, []).append(line)
        return [
            JournalEntry(
                entry_id=entry_id_for(event_id, currency),
                event_id=event_id,
                event_type=event.type,
                posted_on=posted_on,
                description=self.description,
                lines=tuple(lines),
            )
            for currency, lines in sorted(by_currency.items())
        ]


def post(
    event: EventModel,
    event_id: str,
    occurred_on: dt.date,
    *,
    chart: ChartOfAccounts = DEFAULT_CHART,
) -> list[JournalEntry]:
    """The journal entries that book ``event``: one balanced entry per currency (in
    practice one), dated by ``business_date``, each recording ``event_id``.

    Returns ``[]`` for event types in ``NOT_POSTED`` and for events whose amounts are all
    zero. Raises ``PostingError`` when the event's numbers are inconsistent, a currency or
    expense account is invalid, or the event type has no posting rule.
    """
    try:
        check_money_event(event)
    except ReceivablesError as exc:
        raise PostingError(exc.detail, rule=exc.rule, field=exc.field) from None
    match event:
        case InvoiceIssued():
            draft = _invoice_issued(event, chart)
        case PaymentPosted():
            draft = _payment_posted(event, chart)
        case PaymentAllocated():
            draft = _payment_allocated(event, chart)
        case PaymentUnallocated():
            draft = _payment_unallocated(event, chart)
        case CreditNoteIssued():
            draft = _credit_note_issued(event, chart)
        case InvoiceWrittenOff():
            draft = _invoice_written_off(event, chart)
        case RefundIssued():
            draft = _refund_issued(event, chart)
        case SupplierBillApproved():
            draft = _supplier_bill_approved(event, chart)
        case SupplierPaymentMade():
            draft = _supplier_payment_made(event, chart)
        case _ if isinstance(event, NOT_POSTED):
            return []
        case _:
            raise PostingError(
                f"the ledger has no posting rule for {event.type}",
                rule="event-type-not-posted",
            )
    return draft.entries(event, event_id, business_date(event, occurred_on))


# rules ------------------------------------------------------------------------------


def _customer(customer_id: str) -> tuple[PartyKind, str]:
    return (PartyKind.CUSTOMER, customer_id)


def _supplier(supplier_id: str) -> tuple[PartyKind, str]:
    return (PartyKind.SUPPLIER, supplier_id)


def _invoice_issued(event: InvoiceIssued, chart: ChartOfAccounts) -> _Draft:
    document = event.invoice_id
    draft = _Draft(f"Invoice {event.number} ({event.invoice_id}) to customer {event.customer_id}")
    draft.debit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), event.gross, _customer(event.customer_id))
    breakdown = vat_breakdown(event.lines, event.currency)
    for rate in breakdown:
        draft.credit(chart.code_for(AccountRole.REVENUE), rate.taxable, tax=(rate.vat_rate, document))
    for rate in breakdown:
        draft.credit(chart.code_for(AccountRole.VAT_OUTPUT), rate.vat, tax=(rate.vat_rate, document))
    return draft


def _payment_posted(event: PaymentPosted, chart: ChartOfAccounts) -> _Draft:
    customer = _customer(event.customer_id)
    draft = _Draft(f"Payment {event.payment_id} from customer {event.customer_id}")
    draft.debit(chart.code_for(AccountRole.CASH), event.amount)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), allocated_amount(event), customer)
    draft.credit(chart.code_for(AccountRole.UNAPPLIED_CASH), event.unapplied, customer)
    return draft


def _payment_allocated(event: PaymentAllocated, chart: ChartOfAccounts) -> _Draft:
    amount = event.amount
    customer = _customer(event.customer_id)
    draft = _Draft(
        f"Unapplied cash of payment {event.payment_id} applied to invoice {event.invoice_id}"
        f" of customer {event.customer_id}"
    )
    draft.debit(chart.code_for(AccountRole.UNAPPLIED_CASH), amount, customer)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), amount, customer)
    return draft


def _payment_unallocated(event: PaymentUnallocated, chart: ChartOfAccounts) -> _Draft:
    amount = event.amount
    customer = _customer(event.customer_id)
    draft = _Draft(
        f"Payment {event.payment_id} unallocated from invoice {event.invoice_id}"
        f" of customer {event.customer_id}: {event.reason}"
    )
    draft.debit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), amount, customer)
    draft.credit(chart.code_for(AccountRole.UNAPPLIED_CASH), amount, customer)
    return draft


def _credit_note_issued(event: CreditNoteIssued, chart: ChartOfAccounts) -> _Draft:
    document = event.invoice_id
    customer = _customer(event.customer_id)
    draft = _Draft(
        f"Credit note {event.number} on invoice {event.invoice_id} of customer {event.customer_id}:"
        f" {event.reason}"
    )
    returns = chart.code_for(AccountRole.SALES_RETURNS)
    if event.lines:  # revenue returns per credited line, at its rate
        for line in event.lines:
            draft.debit(returns, line.net, tax=(line.vat_rate, document))
    else:  # a version 1 note: one blended amount, rate unknown
        draft.debit(returns, event.net, tax=(None, document))
    for rate in event.vat_breakdown:  # VAT per rate exactly as the credit note states it
        draft.debit(chart.code_for(AccountRole.VAT_OUTPUT), rate.vat, tax=(rate.vat_rate, document))
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), event.applied, customer)
    draft.credit(chart.code_for(AccountRole.UNAPPLIED_CASH), event.unapplied, customer)
    return draft


def _invoice_written_off(event: InvoiceWrittenOff, chart: ChartOfAccounts) -> _Draft:
    amount = event.amount
    draft = _Draft(f"Invoice {event.invoice_id} of customer {event.customer_id} written off: {event.reason}")
    draft.debit(chart.code_for(AccountRole.BAD_DEBT), amount)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), amount, _customer(event.customer_id))
    return draft


def _refund_issued(event: RefundIssued, chart: ChartOfAccounts) -> _Draft:
    amount = event.amount
    draft = _Draft(f"Refund {event.refund_id} to customer {event.customer_id}")
    draft.debit(chart.code_for(AccountRole.UNAPPLIED_CASH), amount, _customer(event.customer_id))
    draft.credit(chart.code_for(AccountRole.CASH), amount)
    return draft


def _supplier_bill_approved(event: SupplierBillApproved, chart: ChartOfAccounts) -> _Draft:
    currency = event.gross.currency
    document = event.bill_id
    # Net per (expense account, VAT rate), in the order they first appear on the bill.
    expense: dict[tuple[str, Decimal], Decimal] = {}
    for i, line in enumerate(event.lines):
        try:
            code = chart.expense(line.expense_account).code
        except PostingError as exc:
            raise PostingError(
                exc.detail, rule="expense-account-invalid", field=f"lines[{i}].expense_account"
            ) from None
        key = (code, line.vat_rate.normalize())
        expense[key] = expense.get(key, _ZERO) + line.net.amount
    input_vat: dict[Decimal, Decimal] = {}
    for line in event.lines:
        rate = line.vat_rate.normalize()
        input_vat[rate] = input_vat.get(rate, _ZERO) + line.vat.amount

    draft = _Draft(
        f"Supplier bill {event.bill_id} of supplier {event.supplier_id} approved by {event.approved_by}"
    )
    for (code, rate), amount in expense.items():
        draft.debit(code, Money(amount, currency), tax=(rate, document))
    for rate, amount in sorted(input_vat.items()):
        draft.debit(chart.code_for(AccountRole.VAT_INPUT), Money(amount, currency), tax=(rate, document))
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_PAYABLE), event.gross, _supplier(event.supplier_id))
    return draft


def _supplier_payment_made(event: SupplierPaymentMade, chart: ChartOfAccounts) -> _Draft:
    amount = event.amount
    draft = _Draft(
        f"Payment {event.payment_id} of supplier bill {event.bill_id} to supplier {event.supplier_id}"
    )
    draft.debit(chart.code_for(AccountRole.ACCOUNTS_PAYABLE), amount, _supplier(event.supplier_id))
    draft.credit(chart.code_for(AccountRole.CASH), amount)
    return draft
