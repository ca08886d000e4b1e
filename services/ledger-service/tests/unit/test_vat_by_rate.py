"""VAT per rate in the books: invoices and credit notes post revenue, returns and VAT per rate
with their document; a credit note's VAT is booked exactly as stated; reading VAT per rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from backoffice_events.catalog.billing import CreditNoteIssued, InvoiceLine
from backoffice_events.money import Money
from backoffice_events.receivables import (
    LineCreditRequest,
    credit_lines,
    credited_by_line,
    line_amounts,
    vat_breakdown,
)
from ledger_service.domain.accounts import DEFAULT_CHART
from ledger_service.domain.entries import JournalEntry, check_balanced
from ledger_service.domain.posting import post
from ledger_service.domain.vat import TaxedLineTotal, VatAtRate, VatSide, vat_by_rate

if TYPE_CHECKING:
    from conftest import Events

D = Decimal
ON = dt.date(2026, 3, 1)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def line(no: int, price: str, rate: str) -> InvoiceLine:
    amounts = line_amounts(1, eur(price), D(0), D(rate))
    return InvoiceLine(
        line_no=no,
        sku=f"S{no}",
        quantity=1,
        unit_price=eur(price),
        vat_rate=D(rate),
        net=amounts.net,
        vat=amounts.vat,
        gross=amounts.gross,
    )


MIXED = [line(1, "100.00", "0.25"), line(2, "100.00", "0"), line(3, "50.00", "0.12")]


def credit_note(requests: list[LineCreditRequest] | None, done: list[CreditNoteIssued]) -> CreditNoteIssued:
    lines = credit_lines(MIXED, credited_by_line(done), requests)
    net = sum((x.net for x in lines), eur("0"))
    vat = sum((x.vat for x in lines), eur("0"))
    return CreditNoteIssued(
        invoice_id="inv-1",
        customer_id="cust-1",
        credit_note_id=f"cn-{len(done)}",
        number=f"CN-{len(done)}",
        lines=lines,
        vat_breakdown=vat_breakdown(lines, "EUR"),
        net=net,
        vat=vat,
        gross=net + vat,
        applied=net + vat,
        unapplied=eur("0"),
        reason="returned",
        issue_date=ON,
    )


def taxed(entries: list[JournalEntry]) -> list[TaxedLineTotal]:
    return [
        TaxedLineTotal(ln.account, ln.currency, ln.vat_rate, ln.debit, ln.credit)
        for e in entries
        for ln in e.lines
        if ln.document_id is not None
    ]


def test_a_mixed_rate_invoice_posts_revenue_and_vat_per_rate_with_its_document(events: Events) -> None:
    invoice = events.invoice_issued(net="250.00", vat="31.00", lines=MIXED)
    [entry] = post(invoice, "ev-1", ON)
    check_balanced(entry)
    assert [(ln.account, ln.credit, ln.vat_rate, ln.document_id) for ln in entry.lines[1:]] == [
        ("4000", D("100.00"), D("0"), "inv-1"),
        ("4000", D("50.00"), D("0.12"), "inv-1"),
        ("4000", D("100.00"), D("0.25"), "inv-1"),
        ("2200", D("6.00"), D("0.12"), "inv-1"),
        ("2200", D("25.00"), D("0.25"), "inv-1"),
    ]
    assert entry.lines[0].document_id is None  # AR carries the customer, not a rate


def test_a_credit_note_debits_returns_per_line_and_vat_per_rate_as_stated() -> None:
    note = credit_note([LineCreditRequest(1, amount=eur("62.50")), LineCreditRequest(3, quantity=1)], [])
    [entry] = post(note, "ev-2", ON)
    check_balanced(entry)
    assert [(ln.account, ln.debit, ln.vat_rate) for ln in entry.lines if ln.debit] == [
        ("4100", D("50.00"), D("0.25")),
        ("4100", D("50.00"), D("0.12")),
        ("2200", D("6.00"), D("0.12")),
        ("2200", D("12.50"), D("0.25")),
    ]


def test_crediting_a_mixed_invoice_in_three_parts_brings_vat_per_rate_to_zero(events: Events) -> None:
    entries = post(events.invoice_issued(net="250.00", vat="31.00", lines=MIXED), "ev-1", ON)
    done: list[CreditNoteIssued] = []
    for i, requests in enumerate(
        [[LineCreditRequest(1, amount=eur("40.00"))], [LineCreditRequest(2, quantity=1)], None]
    ):
        note = credit_note(requests, done)
        done.append(note)
        entries += post(note, f"ev-c{i}", ON)
    rows = vat_by_rate(taxed(entries), DEFAULT_CHART)
    assert rows == [
        VatAtRate(side=VatSide.OUTPUT, currency="EUR", vat_rate=rate, taxable=D("0.00"), vat=D("0.00"))
        for rate in (D("0"), D("0.12"), D("0.25"))
    ]


def test_a_version_1_credit_note_posts_one_blended_line_of_unknown_rate(events: Events) -> None:
    note = events.credit_note_issued(net="50.00", vat="10.50", applied="60.50")
    blended = note.vat_breakdown[0].model_copy(update={"vat_rate": None})
    v1 = note.model_copy(update={"lines": [], "vat_breakdown": [blended]})
    [entry] = post(v1, "ev-3", ON)
    rows = vat_by_rate(taxed([entry]), DEFAULT_CHART)
    assert rows == [VatAtRate(VatSide.OUTPUT, "EUR", None, D("-50.00"), D("-10.50"))]


def test_supplier_bills_post_expense_and_input_vat_per_rate(events: Events) -> None:
    zero_rated = events.bill_line(2, "6300", "40.00", "0.00").model_copy(update={"vat_rate": D("0")})
    bill = events.supplier_bill_approved([events.bill_line(1, "6100", "100.00", "21.00"), zero_rated])
    rows = vat_by_rate(taxed(post(bill, "ev-4", ON)), DEFAULT_CHART)
    assert rows == [
        VatAtRate(VatSide.INPUT, "EUR", D("0"), D("40.00"), D("0")),
        VatAtRate(VatSide.INPUT, "EUR", D("0.21"), D("100.00"), D("21.00")),
    ]
