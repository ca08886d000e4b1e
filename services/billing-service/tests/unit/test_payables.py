import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from backoffice_events.catalog.payables import SupplierPaymentMade
from backoffice_events.money import Money
from backoffice_platform.errors import Conflict, DomainError, Forbidden, InvalidInput
from billing_service.domain.payables import (
    BillLineInput,
    DuplicateSupplierInvoiceNumber,
    Supplier,
    SupplierBill,
    check_supplier_invoice_number_unused,
    payment_run,
    register_supplier,
    select_bills_for_payment_run,
    supplier_invoice_key,
)

BILL_DATE = dt.date(2026, 3, 1)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


SUPPLIER = Supplier.rebuild([register_supplier("SUP1", "Paper & Co", "EUR", 14)])


def line(net: str = "100.00", vat: str = "0.21", account: str = "6100") -> BillLineInput:
    return BillLineInput(
        description="office paper", expense_account=account, net=eur(net), vat_rate=Decimal(vat)
    )


def received(bill_id: str = "B1", **kwargs: Any) -> SupplierBill:
    args = {
        "supplier_invoice_number": f"SI-{bill_id}",
        "bill_date": BILL_DATE,
        "lines": [line()],
        "entered_by": "clerk",
        **kwargs,
    }
    return SupplierBill.rebuild([SupplierBill.receive(SUPPLIER, bill_id, **args)])


def approved(bill_id: str = "B1", **kwargs: Any) -> SupplierBill:
    bill = received(bill_id, **kwargs)
    bill.apply(bill.approve("boss", BILL_DATE))
    return bill


def test_receiving_a_bill_rounds_vat_half_up_per_line_and_defaults_the_due_date() -> None:
    event = SupplierBill.receive(
        SUPPLIER, "B1", "  SI-77 ", BILL_DATE, [line("0.50", "0.21"), line("10.00", "0.19", "6200")], "clerk"
    )
    assert event.supplier_invoice_number == "SI-77"
    assert event.due_date == dt.date(2026, 3, 15)  # net 14
    assert [(li.line_no, li.net, li.vat, li.gross, li.expense_account) for li in event.lines] == [
        (1, eur("0.50"), eur("0.11"), eur("0.61"), "6100"),  # 0.105 -> 0.11
        (2, eur("10.00"), eur("1.90"), eur("11.90"), "6200"),
    ]
    assert (event.net, event.vat, event.gross) == (eur("10.50"), eur("2.01"), eur("12.51"))
    assert (event.currency, event.entered_by) == ("EUR", "clerk")


def test_explicit_due_date_wins() -> None:
    event = SupplierBill.receive(
        SUPPLIER, "B1", "SI-1", BILL_DATE, [line()], "clerk", due_date=dt.date(2026, 3, 5)
    )
    assert event.due_date == dt.date(2026, 3, 5)


@pytest.mark.parametrize(
    ("kwargs", "rule", "field"),
    [
        ({"supplier_invoice_number": " "}, "supplier-invoice-number-required", "supplier_invoice_number"),
        ({"entered_by": ""}, "entered-by-required", "entered_by"),
        ({"lines": []}, "no-lines", "lines"),
        ({"due_date": dt.date(2026, 2, 28)}, "due-before-bill-date", "due_date"),
        (
            {"lines": [line(), BillLineInput(" ", "6100", eur("1"), Decimal(0))]},
            "description-required",
            "lines[1].description",
        ),
        (
            {"lines": [BillLineInput("x", "", eur("1"), Decimal(0))]},
            "expense-account-required",
            "lines[0].expense_account",
        ),
        (
            {"lines": [BillLineInput("x", "6100", Money.of("1", "USD"), Decimal(0))]},
            "currency-mismatch",
            "lines[0].net.currency",
        ),
        (
            {"lines": [BillLineInput("x", "6100", Money(Decimal("1.001"), "EUR"), Decimal(0))]},
            "too-many-decimals",
            "lines[0].net.amount",
        ),
        ({"lines": [line("0")]}, "amount-not-positive", "lines[0].net.amount"),
        ({"lines": [line(vat="21")]}, "vat-rate-out-of-range", "lines[0].vat_rate"),
    ],
)
def test_bill_input_rules(kwargs: dict[str, Any], rule: str, field: str) -> None:
    args = {
        "supplier_invoice_number": "SI-1",
        "bill_date": BILL_DATE,
        "lines": [line()],
        "entered_by": "clerk",
        **kwargs,
    }
    with pytest.raises(InvalidInput) as caught:
        SupplierBill.receive(SUPPLIER, "B1", **args)
    assert (caught.value.rule, caught.value.field) == (rule, field)


def test_supplier_invoice_numbers_are_unique_per_supplier_ignoring_case_and_spaces() -> None:
    assert supplier_invoice_key(" si-7 ") == supplier_invoice_key("SI-7")
    check_supplier_invoice_number_unused("SUP1", "SI-8", ["SI-7"])
    with pytest.raises(DuplicateSupplierInvoiceNumber) as caught:
        check_supplier_invoice_number_unused("SUP1", "si-7 ", ["SI-6", "SI-7"])
    assert isinstance(caught.value, Conflict)
    assert (caught.value.rule, caught.value.field, caught.value.status) == (
        "duplicate-supplier-invoice-number",
        "supplier_invoice_number",
        409,
    )


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (("S", " ", "EUR", 30), "name-required"),
        (("S", "n", "EURO", 30), "unknown-currency"),
        (("S", "n", "EUR", 400), "terms-out-of-range"),
    ],
)
def test_supplier_rules(args: tuple[str, str, str, int], rule: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        register_supplier(*args)
    assert caught.value.rule == rule


def test_approval_by_someone_else_copies_the_amounts() -> None:
    bill = received()
    event = bill.approve("boss", dt.date(2026, 3, 2))
    assert (event.approved_by, event.approved_on, event.gross, event.due_date) == (
        "boss",
        dt.date(2026, 3, 2),
        eur("121.00"),
        bill.due_date,
    )
    assert event.lines == bill.lines
    bill.apply(event)
    assert (bill.status, bill.approved_by, bill.version) == ("approved", "boss", 2)


def test_whoever_entered_the_bill_cannot_approve_it() -> None:
    with pytest.raises(Forbidden) as caught:
        received().approve("clerk", BILL_DATE)
    assert (caught.value.rule, caught.value.status) == ("approver-is-enterer", 403)


def test_only_received_bills_can_be_approved_or_rejected() -> None:
    bill = approved()
    with pytest.raises(DomainError) as caught:
        bill.approve("boss2", BILL_DATE)
    assert caught.value.rule == "bill-not-awaiting-approval"
    with pytest.raises(DomainError) as caught:
        bill.reject("boss2", "changed my mind")
    assert caught.value.rule == "bill-not-awaiting-approval"


def test_rejection_needs_a_reason_and_blocks_approval_and_payment() -> None:
    bill = received()
    with pytest.raises(InvalidInput) as caught:
        bill.reject("boss", "  ")
    assert caught.value.rule == "reason-required"
    bill.apply(bill.reject("boss", "not our order"))
    assert (bill.status, bill.rejection_reason, bill.rejected_by) == ("rejected", "not our order", "boss")
    with pytest.raises(DomainError) as refused:
        bill.approve("boss", BILL_DATE)
    assert refused.value.rule == "bill-not-awaiting-approval"
    with pytest.raises(DomainError) as refused:
        bill.pay("PAY1", None, BILL_DATE)
    assert refused.value.rule == "bill-not-approved"


def test_pay_only_approved_unpaid_bills() -> None:
    with pytest.raises(DomainError) as caught:
        received().pay("PAY1", "RUN1", BILL_DATE)
    assert caught.value.rule == "bill-not-approved"
    bill = approved()
    event = bill.pay("PAY1", "RUN1", dt.date(2026, 3, 14))
    assert event == SupplierPaymentMade(
        bill_id="B1",
        supplier_id="SUP1",
        payment_id="PAY1",
        payment_run_id="RUN1",
        amount=eur("121.00"),
        paid_on=dt.date(2026, 3, 14),
    )
    bill.apply(event)
    assert (bill.status, bill.payment_id, bill.paid_on, bill.version) == (
        "paid",
        "PAY1",
        dt.date(2026, 3, 14),
        3,
    )
    with pytest.raises(Conflict) as caught:
        bill.pay("PAY2", None, dt.date(2026, 3, 15))
    assert caught.value.rule == "bill-already-paid"


def test_payment_run_picks_approved_unpaid_bills_due_by_the_date_in_due_order() -> None:
    late = approved("B1", due_date=dt.date(2026, 3, 20))
    first = approved("B2", due_date=dt.date(2026, 3, 10))
    on_the_day = approved("B3", due_date=dt.date(2026, 3, 15))
    too_late = approved("B4", due_date=dt.date(2026, 3, 16))
    not_approved = received("B5", due_date=dt.date(2026, 3, 5))
    paid = approved("B6", due_date=dt.date(2026, 3, 5))
    paid.apply(paid.pay("PAYX", None, dt.date(2026, 3, 5)))
    rejected = received("B7", due_date=dt.date(2026, 3, 5))
    rejected.apply(rejected.reject("boss", "dup"))
    bills = [late, first, on_the_day, too_late, not_approved, paid, rejected]
    selected = select_bills_for_payment_run(bills, dt.date(2026, 3, 15))
    assert [b.bill_id for b in selected] == ["B2", "B3"]

    payments = payment_run(
        "RUN7", bills, dt.date(2026, 3, 20), dt.date(2026, 3, 13), lambda bill: f"PAY-{bill.bill_id}"
    )
    assert [(p.bill_id, p.payment_id, p.payment_run_id, p.paid_on) for p in payments] == [
        ("B2", "PAY-B2", "RUN7", dt.date(2026, 3, 13)),
        ("B3", "PAY-B3", "RUN7", dt.date(2026, 3, 13)),
        ("B4", "PAY-B4", "RUN7", dt.date(2026, 3, 13)),
        ("B1", "PAY-B1", "RUN7", dt.date(2026, 3, 13)),
    ]
    assert all(p.amount == eur("121.00") for p in payments)


def test_payment_run_ties_on_due_date_are_broken_by_bill_date() -> None:
    newer = approved("B1", bill_date=dt.date(2026, 3, 3), due_date=dt.date(2026, 3, 10))
    older = approved("B2", bill_date=dt.date(2026, 3, 2), due_date=dt.date(2026, 3, 10))
    assert [b.bill_id for b in select_bills_for_payment_run([newer, older], dt.date(2026, 3, 10))] == [
        "B2",
        "B1",
    ]


def test_bill_stream_rebuild_checks_its_events() -> None:
    bill = received()
    with pytest.raises(ValueError):
        SupplierBill.rebuild([])
    other = received("B2")
    with pytest.raises(ValueError):
        bill.apply(other.approve("boss", BILL_DATE))
    with pytest.raises(ValueError):
        Supplier.rebuild([])
