import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceLine,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    VatRateAmount,
)
from backoffice_events.money import Money
from backoffice_events.receivables import LineCreditRequest
from backoffice_platform.errors import DomainError, InvalidInput
from billing_service.domain.cash import UnappliedCash
from billing_service.domain.credit import issue_credit_note, issue_refund, write_off
from billing_service.domain.invoices import Invoice

ON = dt.date(2026, 4, 15)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def invoice(net: str, vat: str) -> Invoice:
    gross = eur(net) + eur(vat)
    return Invoice.issued(
        InvoiceIssued(
            invoice_id="I1",
            customer_id="C1",
            number="INV-2026-000001",
            order_id="O1",
            shipment_id="S1",
            issue_date=dt.date(2026, 3, 1),
            due_date=dt.date(2026, 3, 31),
            currency="EUR",
            lines=[
                InvoiceLine(
                    line_no=1,
                    sku="A",
                    quantity=1,
                    unit_price=eur(net),
                    vat_rate=Decimal(vat) / Decimal(net),
                    net=eur(net),
                    vat=eur(vat),
                    gross=gross,
                )
            ],
            net=eur(net),
            vat=eur(vat),
            gross=gross,
        )
    )


def credit(inv: Invoice, amount: str, **kwargs: Any) -> list[Any]:
    args = {
        "reason": "damaged in transit",
        "credit_note_id": "K1",
        "number": "CN-2026-000001",
        "issue_date": ON,
        **kwargs,
    }
    return issue_credit_note(inv, None, amount=eur(amount), **args)


def pay(inv: Invoice, amount: str) -> None:
    inv.apply(PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur(amount)))


def test_an_amount_only_credit_takes_vat_at_the_line_rate() -> None:
    [note] = credit(invoice("100.00", "21.00"), "50.00", remedy_id="RM1", ticket_id="T1")
    assert isinstance(note, CreditNoteIssued)
    assert (note.gross, note.vat, note.net) == (
        eur("50.00"),
        eur("8.68"),
        eur("41.32"),
    )  # net = round(50 / 1.21) = 41.32
    assert (note.applied, note.unapplied) == (eur("50.00"), eur("0"))
    assert (note.remedy_id, note.ticket_id, note.reason) == ("RM1", "T1", "damaged in transit")


def test_an_amount_only_credit_rounds_the_net_half_up() -> None:
    inv = invoice("100.00", "25.00")
    [note] = credit(inv, "0.05")  # net = round(0.04) = 0.04, VAT the rest
    assert (note.vat, note.net) == (eur("0.01"), eur("0.04"))
    [note] = credit(inv, "1.00")  # net = round(0.80)
    assert (note.vat, note.net) == (eur("0.20"), eur("0.80"))


def test_credit_beyond_the_open_amount_goes_to_unapplied_cash_and_settles_the_invoice() -> None:
    inv = invoice("100.00", "0.00")
    pay(inv, "80.00")
    note, paid = credit(inv, "30.00")
    assert (note.applied, note.unapplied) == (eur("20.00"), eur("10.00"))
    assert paid == InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=ON)
    inv.apply(note)
    assert inv.open_amount.is_zero and inv.status == "paid"
    cash = UnappliedCash("C1", "EUR")
    cash.apply(note)
    assert cash.balance == eur("10.00")


def test_credit_on_a_fully_paid_invoice_is_all_unapplied() -> None:
    inv = invoice("100.00", "0.00")
    pay(inv, "100.00")
    events = credit(inv, "15.00")
    assert len(events) == 1
    assert (events[0].applied, events[0].unapplied) == (eur("0"), eur("15.00"))


def test_credits_cannot_exceed_what_was_invoiced_in_total() -> None:
    inv = invoice("100.00", "0.00")
    [first] = credit(inv, "60.00")
    inv.apply(first)
    with pytest.raises(DomainError) as caught:
        credit(inv, "40.01", credit_note_id="K2")
    assert (caught.value.rule, caught.value.field) == ("credit-exceeds-invoiced", "amount")
    assert credit(inv, "40.00", credit_note_id="K2")[0].gross == eur("40.00")


@pytest.mark.parametrize(
    ("amount", "reason", "rule"),
    [
        (Money.of("1", "USD"), "x", "currency-mismatch"),
        (eur("0"), "x", "amount-not-positive"),
        (Money(Decimal("0.001"), "EUR"), "x", "too-many-decimals"),
        (eur("1"), " ", "reason-required"),
    ],
)
def test_credit_note_input_rules(amount: Money, reason: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        issue_credit_note(invoice("100.00", "0.00"), None, reason, "K1", "CN-1", ON, amount=amount)
    assert caught.value.rule == rule


def mixed_invoice() -> Invoice:
    """The issue's case: 121.00 at 21 % (line 1) and 100.00 at 0 % (line 2), 3 units each."""
    lines = [
        InvoiceLine(
            line_no=no,
            sku=sku,
            quantity=3,
            unit_price=eur(price),
            vat_rate=Decimal(rate),
            net=eur(net),
            vat=eur(vat),
            gross=eur(net) + eur(vat),
        )
        for no, sku, price, rate, net, vat in [
            (1, "A", "33.34", "0.21", "100.02", "21.00"),
            (2, "B", "33.33", "0", "99.99", "0.00"),
        ]
    ]
    return Invoice.issued(
        InvoiceIssued(
            invoice_id="I1",
            customer_id="C1",
            number="INV-2026-000001",
            order_id="O1",
            shipment_id="S1",
            issue_date=dt.date(2026, 3, 1),
            due_date=dt.date(2026, 3, 31),
            currency="EUR",
            lines=lines,
            net=eur("200.01"),
            vat=eur("21.00"),
            gross=eur("221.01"),
        )
    )


def by_lines(inv: Invoice, *requests: LineCreditRequest, number: str = "K1") -> CreditNoteIssued:
    note = issue_credit_note(inv, list(requests), "returned", number, f"CN-{number}", ON)[0]
    assert isinstance(note, CreditNoteIssued)
    inv.apply(note)
    return note


def test_crediting_the_21_percent_line_reverses_its_vat_not_a_blend() -> None:
    inv = mixed_invoice()
    note = by_lines(inv, LineCreditRequest(1, amount=eur("121.02")))
    assert (note.net, note.vat) == (eur("100.02"), eur("21.00"))
    assert note.vat_breakdown == [
        VatRateAmount(vat_rate=Decimal("0.21"), taxable=eur("100.02"), vat=eur("21.00"))
    ]


def test_credits_by_quantity_are_tracked_per_line_and_the_last_takes_the_rest() -> None:
    inv = mixed_invoice()
    first = by_lines(inv, LineCreditRequest(1, quantity=1), LineCreditRequest(2, quantity=2))
    assert [(x.line_no, x.net, x.vat) for x in first.lines] == [
        (1, eur("33.34"), eur("7.00")),
        (2, eur("66.66"), eur("0.00")),
    ]
    assert inv.credited_lines[1].quantity == 1 and inv.credited_lines[2].net == eur("66.66")
    second = by_lines(inv, LineCreditRequest(1, quantity=1), number="K2")
    assert (second.net, second.vat) == (eur("33.34"), eur("7.00"))
    rest = by_lines(inv, number="K3")  # no lines: everything still creditable
    assert [(x.line_no, x.quantity, x.net, x.vat) for x in rest.lines] == [
        (1, 1, eur("33.34"), eur("7.00")),
        (2, 1, eur("33.33"), eur("0.00")),
    ]
    assert inv.credited == inv.gross and inv.open_amount.is_zero


@pytest.mark.parametrize(
    ("requests", "rule"),
    [
        ([LineCreditRequest(3, quantity=1)], "unknown-invoice-line"),
        ([LineCreditRequest(1, quantity=4)], "credit-exceeds-line"),
        ([LineCreditRequest(2, amount=eur("100.00"))], "credit-exceeds-line"),
        ([LineCreditRequest(1, quantity=1), LineCreditRequest(1, quantity=1)], "credit-line-twice"),
    ],
)
def test_credit_by_line_refusals(requests: list[LineCreditRequest], rule: str) -> None:
    with pytest.raises(DomainError) as caught:
        issue_credit_note(mixed_invoice(), requests, "returned", "K1", "CN-1", ON)
    assert caught.value.rule == rule
    assert caught.value.field is not None and caught.value.field.startswith("lines[")


def test_lines_and_an_amount_together_are_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        issue_credit_note(
            mixed_invoice(), [LineCreditRequest(1, quantity=1)], "x", "K1", "CN-1", ON, amount=eur("1.00")
        )
    assert caught.value.rule == "credit-lines-or-amount"


def test_no_credit_note_on_a_written_off_invoice() -> None:
    inv = invoice("100.00", "0.00")
    inv.apply(write_off(inv, "customer insolvent", ON))
    with pytest.raises(DomainError) as caught:
        credit(inv, "10.00")
    assert caught.value.rule == "invoice-written-off"


def test_write_off_takes_the_whole_open_amount() -> None:
    inv = invoice("100.00", "21.00")
    pay(inv, "21.00")
    event = write_off(inv, "customer insolvent", ON)
    assert event == InvoiceWrittenOff(
        invoice_id="I1",
        customer_id="C1",
        amount=eur("100.00"),
        reason="customer insolvent",
        written_off_on=ON,
    )
    inv.apply(event)
    assert inv.status == "written_off"
    with pytest.raises(DomainError) as caught:
        write_off(inv, "again", ON)
    assert caught.value.rule == "nothing-to-write-off"


def test_nothing_to_write_off_on_a_paid_invoice_and_a_reason_is_required() -> None:
    inv = invoice("100.00", "0.00")
    with pytest.raises(InvalidInput) as caught:
        write_off(inv, "", ON)
    assert caught.value.rule == "reason-required"
    pay(inv, "100.00")
    with pytest.raises(DomainError) as refused:
        write_off(inv, "bad debt", ON)
    assert refused.value.rule == "nothing-to-write-off"


def cash_with(unapplied: str) -> UnappliedCash:
    cash = UnappliedCash("C1", "EUR")
    cash.apply(
        PaymentPosted(
            payment_id="P1",
            customer_id="C1",
            amount=eur(unapplied),
            received_on=ON,
            bank_transaction_id="B1",
            allocations=[],
            unapplied=eur(unapplied),
        )
    )
    return cash


def test_refund_pays_back_unapplied_cash() -> None:
    cash = cash_with("25.00")
    refund = issue_refund(cash, "R1", eur("25.00"), ON, " overpaid ")
    assert (refund.refund_id, refund.customer_id, refund.amount, refund.refunded_on, refund.reason) == (
        "R1",
        "C1",
        eur("25.00"),
        ON,
        "overpaid",
    )
    cash.apply(refund)
    assert cash.balance.is_zero


@pytest.mark.parametrize(
    ("amount", "rule", "error"),
    [
        (eur("25.01"), "refund-exceeds-unapplied", DomainError),
        (eur("0"), "amount-not-positive", InvalidInput),
        (Money.of("1", "USD"), "currency-mismatch", InvalidInput),
    ],
)
def test_refund_rules(amount: Money, rule: str, error: type[DomainError]) -> None:
    with pytest.raises(error) as caught:
        issue_refund(cash_with("25.00"), "R1", amount, ON)
    assert caught.value.rule == rule
