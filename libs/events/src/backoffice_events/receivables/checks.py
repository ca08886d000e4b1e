"""The consistency checks every money event must pass before the books (or a history) take it."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from ..catalog.base import EventModel
from ..catalog.billing import (
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
)
from ..catalog.payables import BillLine, SupplierBillApproved, SupplierPaymentMade
from ..money import Money, format_amount
from .amounts import vat_breakdown
from .errors import ReceivablesError

_ZERO = Decimal(0)


def _in_currency(amount: Money, currency: str, field: str) -> Money:
    if amount.currency != currency:
        raise ReceivablesError(
            f"{field} is in {amount.currency} but the event is in {currency}",
            rule="currency-mismatch",
            field=field,
        )
    return amount


def _not_negative(amount: Money, field: str) -> Money:
    if amount.amount < 0:
        raise ReceivablesError(f"{field} {amount} is negative", rule="amount-negative", field=field)
    return amount


def _positive(amount: Money, field: str) -> Money:
    if not amount.amount > 0:
        raise ReceivablesError(f"{field} {amount} must be positive", rule="amount-not-positive", field=field)
    return amount


def _must_equal(
    actual: Decimal, expected: Decimal, currency: str, rule: str, detail: str, field: str
) -> None:
    if actual != expected:
        raise ReceivablesError(
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


def _check_totals(net: Money, vat: Money, gross: Money, currency: str, what: str) -> None:
    for name, amount in (("net", net), ("vat", vat), ("gross", gross)):
        _not_negative(_in_currency(amount, currency, name), name)
    _check_net_vat_gross(net, vat, gross, what, "gross")


def _check_lines(
    lines: Sequence[InvoiceLine | BillLine | CreditNoteLine],
    currency: str,
    net: Money,
    vat: Money,
    gross: Money,
    what: str,
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


def _check_credit_note(event: CreditNoteIssued) -> None:
    currency = event.gross.currency
    _check_totals(event.net, event.vat, event.gross, currency, "credit note")
    applied = _not_negative(_in_currency(event.applied, currency, "applied"), "applied")
    unapplied = _not_negative(_in_currency(event.unapplied, currency, "unapplied"), "unapplied")
    _must_equal(
        applied.amount + unapplied.amount,
        event.gross.amount,
        currency,
        "totals-inconsistent",
        "credit note applied + unapplied != gross",
        "applied",
    )
    if event.lines:  # version 1 credit notes (upcast) have no lines, only the breakdown
        _check_lines(event.lines, currency, event.net, event.vat, event.gross, "credit note")
        for i, line in enumerate(event.lines):
            _not_negative(line.net, f"lines[{i}].net")
            _not_negative(line.vat, f"lines[{i}].vat")
    taxable = vat = _ZERO
    for i, entry in enumerate(event.vat_breakdown):
        taxable += _in_currency(entry.taxable, currency, f"vat_breakdown[{i}].taxable").amount
        vat += _in_currency(entry.vat, currency, f"vat_breakdown[{i}].vat").amount
    _must_equal(
        taxable,
        event.net.amount,
        currency,
        "breakdown-inconsistent",
        "sum of breakdown taxable != net",
        "vat_breakdown",
    )
    _must_equal(
        vat,
        event.vat.amount,
        currency,
        "breakdown-inconsistent",
        "sum of breakdown vat != vat",
        "vat_breakdown",
    )
    if event.lines:
        expected = {e.vat_rate: (e.taxable, e.vat) for e in vat_breakdown(event.lines, currency)}
        stated = {
            (e.vat_rate.normalize() if e.vat_rate is not None else None): (e.taxable, e.vat)
            for e in event.vat_breakdown
        }
        if stated != expected:
            raise ReceivablesError(
                "the VAT breakdown does not match the credit note's lines per rate",
                rule="breakdown-inconsistent",
                field="vat_breakdown",
            )


def check_money_event(event: EventModel) -> None:
    """Refuse a money event whose own numbers are inconsistent: totals add up (net + VAT =
    gross), lines add up to the totals, one currency, no negative totals; a payment's
    allocations plus unapplied equal its amount; a credit note's applied plus unapplied equal
    its gross and its lines and VAT breakdown add up. Other events pass. Raises
    ``ReceivablesError``; the ledger refuses to post, support dead-letters."""
    match event:
        case InvoiceIssued():
            _check_totals(event.net, event.vat, event.gross, event.currency, "invoice")
            _check_lines(event.lines, event.currency, event.net, event.vat, event.gross, "invoice")
        case PaymentPosted():
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
        case (
            PaymentAllocated()
            | PaymentUnallocated()
            | InvoiceWrittenOff()
            | RefundIssued()
            | SupplierPaymentMade()
        ):
            _positive(event.amount, "amount")
        case CreditNoteIssued():
            _check_credit_note(event)
        case SupplierBillApproved():
            currency = event.gross.currency
            _check_totals(event.net, event.vat, event.gross, currency, "supplier bill")
            _check_lines(event.lines, currency, event.net, event.vat, event.gross, "bill")
        case _:
            pass
