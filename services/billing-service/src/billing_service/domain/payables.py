"""Procure to pay: suppliers, their bills, approval by a second person, and payment runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.payables import (
    BillLine,
    SupplierBillApproved,
    SupplierBillReceived,
    SupplierBillRejected,
    SupplierPaymentMade,
    SupplierRegistered,
)
from backoffice_events.money import MINOR_UNITS, Money
from backoffice_platform.errors import Conflict, DomainError, Forbidden, InvalidInput

from .accounts import MAX_PAYMENT_TERMS_DAYS
from .amounts import check_amount, require_text, round_half_up

BillStatus = Literal["received", "approved", "rejected", "paid"]


class DuplicateSupplierInvoiceNumber(Conflict):
    """The supplier already sent a bill with this invoice number (checked by the adapter)."""

    def __init__(self, supplier_id: str, supplier_invoice_number: str) -> None:
        super().__init__(
            f"supplier {supplier_id} already has a bill with invoice number {supplier_invoice_number!r}",
            field="supplier_invoice_number",
            rule="duplicate-supplier-invoice-number",
        )


def supplier_invoice_key(supplier_invoice_number: str) -> str:
    """The form under which a supplier's invoice numbers must be unique: trimmed, case-folded.

    ``"inv-7 "`` and ``"INV-7"`` are the same invoice; the adapter's unique index uses this key.
    """
    return supplier_invoice_number.strip().upper()


def check_supplier_invoice_number_unused(
    supplier_id: str, supplier_invoice_number: str, existing_numbers: Iterable[str]
) -> None:
    """Raise ``DuplicateSupplierInvoiceNumber`` if the supplier already used this number."""
    key = supplier_invoice_key(supplier_invoice_number)
    if any(supplier_invoice_key(number) == key for number in existing_numbers):
        raise DuplicateSupplierInvoiceNumber(supplier_id, supplier_invoice_number)


# suppliers --------------------------------------------------------------------------------
def register_supplier(
    supplier_id: str, name: str, currency: str, payment_terms_days: int
) -> SupplierRegistered:
    """Validate and register a supplier.

    Rules: ``name-required``, ``unknown-currency``, ``terms-out-of-range`` (0..365 days).
    """
    name = require_text(name, field="name", rule="name-required")
    if currency not in MINOR_UNITS:
        raise InvalidInput(f"unknown currency {currency!r}", field="currency", rule="unknown-currency")
    if not 0 <= payment_terms_days <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidInput(
            f"payment terms must be 0..{MAX_PAYMENT_TERMS_DAYS} days",
            field="payment_terms_days",
            rule="terms-out-of-range",
        )
    return SupplierRegistered(
        supplier_id=supplier_id, name=name, currency=currency, payment_terms_days=payment_terms_days
    )


@dataclass
class Supplier:
    """A supplier we buy from."""

    supplier_id: str
    name: str
    currency: str
    payment_terms_days: int
    version: int = 1

    @classmethod
    def registered(cls, event: SupplierRegistered) -> Supplier:
        return cls(event.supplier_id, event.name, event.currency, event.payment_terms_days)

    @classmethod
    def rebuild(cls, events: Iterable[SupplierRegistered]) -> Supplier:
        """Fold the supplier's stream; it starts with ``SupplierRegistered``."""
        stream = iter(events)
        first = next(stream, None)
        if first is None:
            raise ValueError("a supplier stream starts with SupplierRegistered")
        extra = next(stream, None)
        if extra is not None:
            raise ValueError(f"{type(extra).__name__} cannot follow the registration of {first.supplier_id}")
        return cls.registered(first)


# bills ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BillLineInput:
    """A line as entered from the supplier's invoice."""

    description: str
    expense_account: str
    net: Money
    vat_rate: Decimal


def _bill_line(index: int, line: BillLineInput, currency: str) -> BillLine:
    field = f"lines[{index}]"
    description = require_text(line.description, field=f"{field}.description", rule="description-required")
    account = require_text(
        line.expense_account, field=f"{field}.expense_account", rule="expense-account-required"
    )
    check_amount(line.net, currency, field=f"{field}.net")
    if not Decimal(0) <= line.vat_rate <= Decimal(1):
        raise InvalidInput(
            "VAT rate must be between 0 and 1 (0.21 for 21 %)",
            field=f"{field}.vat_rate",
            rule="vat-rate-out-of-range",
        )
    vat = round_half_up(line.net * line.vat_rate)
    return BillLine(
        line_no=index + 1,
        description=description,
        expense_account=account,
        net=line.net,
        vat_rate=line.vat_rate,
        vat=vat,
        gross=line.net + vat,
    )


@dataclass
class SupplierBill:
    """A supplier bill through its life: received -> approved -> paid, or received -> rejected."""

    bill_id: str
    supplier_id: str
    supplier_invoice_number: str
    bill_date: dt.date
    due_date: dt.date
    currency: str
    lines: list[BillLine]
    net: Money
    vat: Money
    gross: Money
    entered_by: str
    status: BillStatus = "received"
    approved_by: str | None = None
    approved_on: dt.date | None = None
    rejected_by: str | None = None
    rejection_reason: str | None = None
    payment_id: str | None = None
    payment_run_id: str | None = None
    paid_on: dt.date | None = None
    version: int = 1

    @staticmethod
    def receive(
        supplier: Supplier,
        bill_id: str,
        supplier_invoice_number: str,
        bill_date: dt.date,
        lines: Sequence[BillLineInput],
        entered_by: str,
        due_date: dt.date | None = None,
    ) -> SupplierBillReceived:
        """Record a supplier's bill as received (awaiting approval).

        Each line's VAT is ``round_half_up(net * vat_rate)`` and its gross ``net + vat``; the bill's
        totals are the sums of the lines. The due date defaults to ``bill_date`` plus the supplier's
        terms. Uniqueness of the supplier's invoice number is checked by the adapter
        (``DuplicateSupplierInvoiceNumber``).

        Rules: ``supplier-invoice-number-required``, ``entered-by-required``, ``no-lines``,
        ``due-before-bill-date``, and per line ``description-required``, ``expense-account-required``,
        ``currency-mismatch``, ``too-many-decimals``, ``amount-not-positive``, ``vat-rate-out-of-range``.
        """
        number = require_text(
            supplier_invoice_number, field="supplier_invoice_number", rule="supplier-invoice-number-required"
        )
        entered_by = require_text(entered_by, field="entered_by", rule="entered-by-required")
        if not lines:
            raise InvalidInput("a bill needs at least one line", field="lines", rule="no-lines")
        due = due_date or bill_date + dt.timedelta(days=supplier.payment_terms_days)
        if due < bill_date:
            raise InvalidInput(
                "the due date is before the bill date", field="due_date", rule="due-before-bill-date"
            )
        bill_lines = [_bill_line(i, line, supplier.currency) for i, line in enumerate(lines)]
        zero = Money.zero(supplier.currency)
        net = sum((line.net for line in bill_lines), zero)
        vat = sum((line.vat for line in bill_lines), zero)
        return SupplierBillReceived(
            bill_id=bill_id,
            supplier_id=supplier.supplier_id,
            supplier_invoice_number=number,
            bill_date=bill_date,
            due_date=due,
            currency=supplier.currency,
            lines=bill_lines,
            net=net,
            vat=vat,
            gross=net + vat,
            entered_by=entered_by,
        )

    @classmethod
    def received(cls, event: SupplierBillReceived) -> SupplierBill:
        """State right after receipt (stream version 1)."""
        return cls(
            bill_id=event.bill_id,
            supplier_id=event.supplier_id,
            supplier_invoice_number=event.supplier_invoice_number,
            bill_date=event.bill_date,
            due_date=event.due_date,
            currency=event.currency,
            lines=list(event.lines),
            net=event.net,
            vat=event.vat,
            gross=event.gross,
            entered_by=event.entered_by,
        )

    @classmethod
    def rebuild(cls, events: Iterable[EventModel]) -> SupplierBill:
        """Fold the bill's stream; it starts with ``SupplierBillReceived``."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, SupplierBillReceived):
            raise ValueError("a supplier bill stream starts with SupplierBillReceived")
        bill = cls.received(first)
        for event in stream:
            bill.apply(event)
        return bill

    def apply(self, event: EventModel) -> None:
        """Fold a later event of this bill's stream."""
        if isinstance(event, SupplierBillApproved) and event.bill_id == self.bill_id:
            self.status = "approved"
            self.approved_by = event.approved_by
            self.approved_on = event.approved_on
        elif isinstance(event, SupplierBillRejected) and event.bill_id == self.bill_id:
            self.status = "rejected"
            self.rejected_by = event.rejected_by
            self.rejection_reason = event.reason
        elif isinstance(event, SupplierPaymentMade) and event.bill_id == self.bill_id:
            self.status = "paid"
            self.payment_id = event.payment_id
            self.payment_run_id = event.payment_run_id
            self.paid_on = event.paid_on
        else:
            raise ValueError(f"{type(event).__name__} does not belong to bill {self.bill_id}")
        self.version += 1

    def _require_received(self, action: str) -> None:
        if self.status != "received":
            raise DomainError(
                f"bill {self.bill_id} is {self.status}; only a received bill can be {action}",
                field="status",
                rule="bill-not-awaiting-approval",
            )

    def approve(self, approver: str, on: dt.date) -> SupplierBillApproved:
        """Approve for payment. Four eyes: whoever entered the bill cannot approve it.

        Rules: ``approver-required``, ``approver-is-enterer`` (``Forbidden``),
        ``bill-not-awaiting-approval`` (already approved, rejected or paid).
        """
        approver = require_text(approver, field="approved_by", rule="approver-required")
        self._require_received("approved")
        if approver == self.entered_by:
            raise Forbidden(
                f"{approver} entered bill {self.bill_id} and cannot also approve it",
                field="approved_by",
                rule="approver-is-enterer",
            )
        return SupplierBillApproved(
            bill_id=self.bill_id,
            supplier_id=self.supplier_id,
            approved_by=approver,
            approved_on=on,
            due_date=self.due_date,
            lines=self.lines,
            net=self.net,
            vat=self.vat,
            gross=self.gross,
        )

    def reject(self, by: str, reason: str) -> SupplierBillRejected:
        """Reject the bill; it will not be paid. Rules: ``rejected-by-required``,
        ``reason-required``, ``bill-not-awaiting-approval``."""
        by = require_text(by, field="rejected_by", rule="rejected-by-required")
        reason = require_text(reason, field="reason", rule="reason-required")
        self._require_received("rejected")
        return SupplierBillRejected(
            bill_id=self.bill_id, supplier_id=self.supplier_id, rejected_by=by, reason=reason
        )

    def pay(self, payment_id: str, run_id: str | None, paid_on: dt.date) -> SupplierPaymentMade:
        """Pay the bill's gross amount. Rules: ``bill-already-paid`` (``Conflict``),
        ``bill-not-approved`` (received or rejected)."""
        if self.status == "paid":
            raise Conflict(f"bill {self.bill_id} is already paid", field="status", rule="bill-already-paid")
        if self.status != "approved":
            raise DomainError(
                f"bill {self.bill_id} is {self.status}, not approved",
                field="status",
                rule="bill-not-approved",
            )
        return SupplierPaymentMade(
            bill_id=self.bill_id,
            supplier_id=self.supplier_id,
            payment_id=payment_id,
            payment_run_id=run_id,
            amount=self.gross,
            paid_on=paid_on,
        )


def select_bills_for_payment_run(bills: Iterable[SupplierBill], pay_by_date: dt.date) -> list[SupplierBill]:
    """Approved, unpaid bills due on or before ``pay_by_date``, earliest due first
    (ties: bill date, supplier, bill id)."""
    due = [bill for bill in bills if bill.status == "approved" and bill.due_date <= pay_by_date]
    return sorted(due, key=lambda bill: (bill.due_date, bill.bill_date, bill.supplier_id, bill.bill_id))


def payment_run(
    run_id: str,
    bills: Iterable[SupplierBill],
    pay_by_date: dt.date,
    paid_on: dt.date,
    new_payment_id: Callable[[SupplierBill], str],
) -> list[SupplierPaymentMade]:
    """One ``SupplierPaymentMade`` per selected bill, in due-date order.

    ``new_payment_id`` supplies each payment's id (the adapter's id generator).
    """
    return [
        bill.pay(new_payment_id(bill), run_id, paid_on)
        for bill in select_bills_for_payment_run(bills, pay_by_date)
    ]
