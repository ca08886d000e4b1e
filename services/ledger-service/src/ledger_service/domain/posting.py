"""Posting rules: each billing/payables event becomes balanced journal entries.

| event                | debit                             | credit                                  |
|----------------------|-----------------------------------|-----------------------------------------|
| InvoiceIssued        | AR(customer) gross                | revenue net, VAT output vat             |
| PaymentPosted        | cash amount                       | AR(customer) allocated,                 |
|                      |                                   | unapplied(customer) the rest            |
| PaymentAllocated     | unapplied(customer)               | AR(customer)                            |
| PaymentUnallocated   | AR(customer)                      | unapplied(customer)                     |
| CreditNoteIssued     | sales returns net, VAT output vat | AR(customer) applied,                   |
|                      |                                   | unapplied(customer) unapplied           |
| InvoiceWrittenOff    | bad debt                          | AR(customer)                            |
| RefundIssued         | unapplied(customer)               | cash                                    |
| SupplierBillApproved | expense (per line account) net,   | AP(supplier) gross                      |
|                      | VAT input vat                     |                                         |
| SupplierPaymentMade  | AP(supplier)                      | cash                                    |

Events in ``NOT_POSTED`` produce no entry. Any other event type is refused
(``event-type-not-posted``): a new money event must get a rule before the books take it,
rather than be skipped silently. Every event's own numbers are checked first (totals add
up, one currency, no negative totals); an event that fails is a ``PostingError`` for the
adapter to dead-letter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    BillingAccountOpened,
    CashApplicationChanged,
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
    RefundIssued,
)
from backoffice_events.catalog.payables import (
    BillLine,
    SupplierBillApproved,
    SupplierBillReceived,
    SupplierBillRejected,
    SupplierPaymentMade,
    SupplierRegistered,
)
from backoffice_events.money import Money, format_amount

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


@dataclass
class _Draft:
    """Lines being collected for one event, before they are split per currency."""

    description: str
    lines: list[JournalLine] = field(default_factory=list)

    def debit(self, account: str, amount: Money, party: tuple[PartyKind, str] | None = None) -> None:
        self._add(account, amount.amount, amount.currency, party)

    def credit(self, account: str, amount: Money, party: tuple[PartyKind, str] | None = None) -> None:
        self._add(account, -amount.amount, amount.currency, party)

    def _add(self, account: str, net: Decimal, currency: str, party: tuple[PartyKind, str] | None) -> None:
        # ``net`` is debit-positive, so a negative amount on one side lands on the other
        # (e.g. a bill whose credit lines outweigh its charges for one expense account).
        if net == 0:
            return  # e.g. a 0 % VAT line or nothing unapplied: no line at all
        kind, party_id = party if party else (None, None)
        self.lines.append(
            JournalLine(
                account=account,
                debit=net if net > 0 else _ZERO,
                credit=-net if net < 0 else _ZERO,
                currency=currency,
                party_kind=kind,
                party_id=party_id,
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


# consistency checks -------------------------------------------------------------


def _in_currency(amount: Money, currency: str, field: str) -> Money:
    if amount.currency != currency:
        raise PostingError(
            f"{field} is in {amount.currency} but the event is in {currency}",
            rule="currency-mismatch",
            field=field,
        )
    return amount


def _not_negative(amount: Money, field: str) -> Money:
    if amount.amount < 0:
        raise PostingError(f"{field} {amount} is negative", rule="amount-negative", field=field)
    return amount


def _positive(amount: Money, field: str) -> Money:
    if not amount.amount > 0:
        raise PostingError(f"{field} {amount} must be positive", rule="amount-not-positive", field=field)
    return amount


def _must_equal(
    actual: Decimal, expected: Decimal, currency: str, rule: str, detail: str, field: str
) -> None:
    if actual != expected:
        raise PostingError(
            f"{detail}: {format_amount(actual, currency)} != {format_amount(expected, currency)} {currency}",
            rule=rule,
            field=field,
        )


def _check_net_vat_gross(net: Money, vat: Money, gross: Money, where: str, field: str) -> None:
    _must_equal(
        net.amount + vat.amount,
        gross.amount,
        gross.currency,
        "totals-inconsistent",
        f"{where} net + vat != gross",
        field,
    )


def _check_lines(
    lines: Sequence[InvoiceLine | BillLine], currency: str, net: Money, vat: Money, gross: Money, what: str
) -> None:
    """Every line in ``currency`` with net + vat == gross, and the lines adding up to the totals."""
    net_sum = vat_sum = gross_sum = _ZERO
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        _check_net_vat_gross(
            _in_currency(line.net, currency, f"{where}.net"),
            _in_currency(line.vat, currency, f"{where}.vat"),
            _in_currency(line.gross, currency, f"{where}.gross"),
            f"{what} line {line.line_no}",
            f"{where}.gross",
        )
        net_sum += line.net.amount
        vat_sum += line.vat.amount
        gross_sum += line.gross.amount
    for name, line_sum, total in (("net", net_sum, net), ("vat", vat_sum, vat), ("gross", gross_sum, gross)):
        _must_equal(
            line_sum,
            total.amount,
            currency,
            "totals-inconsistent",
            f"sum of line {name} != {what} {name}",
            name,
        )


# rules ------------------------------------------------------------------------------


def _customer(customer_id: str) -> tuple[PartyKind, str]:
    return (PartyKind.CUSTOMER, customer_id)


def _supplier(supplier_id: str) -> tuple[PartyKind, str]:
    return (PartyKind.SUPPLIER, supplier_id)


def _invoice_issued(event: InvoiceIssued, chart: ChartOfAccounts) -> _Draft:
    currency = event.currency
    net = _not_negative(_in_currency(event.net, currency, "net"), "net")
    vat = _not_negative(_in_currency(event.vat, currency, "vat"), "vat")
    gross = _not_negative(_in_currency(event.gross, currency, "gross"), "gross")
    _check_net_vat_gross(net, vat, gross, "invoice", "gross")
    _check_lines(event.lines, currency, net, vat, gross, "invoice")

    draft = _Draft(f"Invoice {event.number} ({event.invoice_id}) to customer {event.customer_id}")
    draft.debit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), gross, _customer(event.customer_id))
    draft.credit(chart.code_for(AccountRole.REVENUE), net)
    draft.credit(chart.code_for(AccountRole.VAT_OUTPUT), vat)
    return draft


def _payment_posted(event: PaymentPosted, chart: ChartOfAccounts) -> _Draft:
    currency = event.amount.currency
    amount = _positive(event.amount, "amount")
    unapplied = _not_negative(_in_currency(event.unapplied, currency, "unapplied"), "unapplied")
    allocated = _ZERO
    for i, allocation in enumerate(event.allocations):
        where = f"allocations[{i}].amount"
        allocated += _positive(_in_currency(allocation.amount, currency, where), where).amount
    _must_equal(
        allocated + unapplied.amount,
        amount.amount,
        currency,
        "allocation-inconsistent",
        "allocations + unapplied != payment amount",
        "unapplied",
    )

    customer = _customer(event.customer_id)
    draft = _Draft(f"Payment {event.payment_id} from customer {event.customer_id}")
    draft.debit(chart.code_for(AccountRole.CASH), amount)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), Money(allocated, currency), customer)
    draft.credit(chart.code_for(AccountRole.UNAPPLIED_CASH), unapplied, customer)
    return draft


def _payment_allocated(event: PaymentAllocated, chart: ChartOfAccounts) -> _Draft:
    amount = _positive(event.amount, "amount")
    customer = _customer(event.customer_id)
    draft = _Draft(
        f"Unapplied cash of payment {event.payment_id} applied to invoice {event.invoice_id}"
        f" of customer {event.customer_id}"
    )
    draft.debit(chart.code_for(AccountRole.UNAPPLIED_CASH), amount, customer)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), amount, customer)
    return draft


def _payment_unallocated(event: PaymentUnallocated, chart: ChartOfAccounts) -> _Draft:
    amount = _positive(event.amount, "amount")
    customer = _customer(event.customer_id)
    draft = _Draft(
        f"Payment {event.payment_id} unallocated from invoice {event.invoice_id}"
        f" of customer {event.customer_id}: {event.reason}"
    )
    draft.debit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), amount, customer)
    draft.credit(chart.code_for(AccountRole.UNAPPLIED_CASH), amount, customer)
    return draft


def _credit_note_issued(event: CreditNoteIssued, chart: ChartOfAccounts) -> _Draft:
    currency = event.gross.currency
    net = _not_negative(_in_currency(event.net, currency, "net"), "net")
    vat = _not_negative(_in_currency(event.vat, currency, "vat"), "vat")
    gross = _not_negative(event.gross, "gross")
    applied = _not_negative(_in_currency(event.applied, currency, "applied"), "applied")
    unapplied = _not_negative(_in_currency(event.unapplied, currency, "unapplied"), "unapplied")
    _check_net_vat_gross(net, vat, gross, "credit note", "gross")
    _must_equal(
        applied.amount + unapplied.amount,
        gross.amount,
        currency,
        "totals-inconsistent",
        "credit note applied + unapplied != gross",
        "applied",
    )

    customer = _customer(event.customer_id)
    draft = _Draft(
        f"Credit note {event.number} on invoice {event.invoice_id} of customer {event.customer_id}:"
        f" {event.reason}"
    )
    draft.debit(chart.code_for(AccountRole.SALES_RETURNS), net)
    draft.debit(chart.code_for(AccountRole.VAT_OUTPUT), vat)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), applied, customer)
    draft.credit(chart.code_for(AccountRole.UNAPPLIED_CASH), unapplied, customer)
    return draft


def _invoice_written_off(event: InvoiceWrittenOff, chart: ChartOfAccounts) -> _Draft:
    amount = _positive(event.amount, "amount")
    draft = _Draft(f"Invoice {event.invoice_id} of customer {event.customer_id} written off: {event.reason}")
    draft.debit(chart.code_for(AccountRole.BAD_DEBT), amount)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE), amount, _customer(event.customer_id))
    return draft


def _refund_issued(event: RefundIssued, chart: ChartOfAccounts) -> _Draft:
    amount = _positive(event.amount, "amount")
    draft = _Draft(f"Refund {event.refund_id} to customer {event.customer_id}")
    draft.debit(chart.code_for(AccountRole.UNAPPLIED_CASH), amount, _customer(event.customer_id))
    draft.credit(chart.code_for(AccountRole.CASH), amount)
    return draft


def _supplier_bill_approved(event: SupplierBillApproved, chart: ChartOfAccounts) -> _Draft:
    currency = event.gross.currency
    net = _not_negative(_in_currency(event.net, currency, "net"), "net")
    vat = _not_negative(_in_currency(event.vat, currency, "vat"), "vat")
    gross = _not_negative(event.gross, "gross")
    _check_net_vat_gross(net, vat, gross, "supplier bill", "gross")
    _check_lines(event.lines, currency, net, vat, gross, "bill")
    # Net per expense account, in the order the accounts first appear on the bill.
    expense: dict[str, Decimal] = {}
    for i, line in enumerate(event.lines):
        try:
            code = chart.expense(line.expense_account).code
        except PostingError as exc:
            raise PostingError(
                exc.detail, rule="expense-account-invalid", field=f"lines[{i}].expense_account"
            ) from None
        expense[code] = expense.get(code, _ZERO) + line.net.amount

    draft = _Draft(
        f"Supplier bill {event.bill_id} of supplier {event.supplier_id} approved by {event.approved_by}"
    )
    for code, amount in expense.items():
        draft.debit(code, Money(amount, currency))
    draft.debit(chart.code_for(AccountRole.VAT_INPUT), vat)
    draft.credit(chart.code_for(AccountRole.ACCOUNTS_PAYABLE), gross, _supplier(event.supplier_id))
    return draft


def _supplier_payment_made(event: SupplierPaymentMade, chart: ChartOfAccounts) -> _Draft:
    amount = _positive(event.amount, "amount")
    draft = _Draft(
        f"Payment {event.payment_id} of supplier bill {event.bill_id} to supplier {event.supplier_id}"
    )
    draft.debit(chart.code_for(AccountRole.ACCOUNTS_PAYABLE), amount, _supplier(event.supplier_id))
    draft.credit(chart.code_for(AccountRole.CASH), amount)
    return draft
