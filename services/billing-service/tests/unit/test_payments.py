import datetime as dt

import pytest

from backoffice_events.catalog.billing import (
    Allocation,
    InvoicePaid,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
)
from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput
from billing_service.domain.accounts import BillingAccount, open_billing_account
from billing_service.domain.invoices import OpenInvoice
from billing_service.domain.payments import (
    Payment,
    allocate_payment,
    apply_unapplied_cash,
    invoices_named_in,
    post_payment,
)

RECEIVED = dt.date(2026, 5, 4)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def open_invoice(
    invoice_id: str, open_amount: str, due: str, issued: str = "2026-03-01", number: str | None = None
) -> OpenInvoice:
    return OpenInvoice(
        invoice_id=invoice_id,
        number=number or f"INV-2026-{invoice_id[1:].zfill(6)}",
        issue_date=dt.date.fromisoformat(issued),
        due_date=dt.date.fromisoformat(due),
        open_amount=eur(open_amount),
    )


A = open_invoice("I1", "100.00", "2026-04-01")
B = open_invoice("I2", "50.00", "2026-03-15")
C = open_invoice("I3", "30.00", "2026-04-20")


def amounts(allocations: list[Allocation]) -> list[tuple[str, Money]]:
    return [(a.invoice_id, a.amount) for a in allocations]


def test_exact_payment_settles_the_invoice() -> None:
    allocations, unapplied = allocate_payment(eur("100.00"), None, [A])
    assert amounts(allocations) == [("I1", eur("100.00"))]
    assert unapplied.is_zero


def test_partial_payment_leaves_the_rest_open() -> None:
    allocations, unapplied = allocate_payment(eur("40.00"), None, [A])
    assert amounts(allocations) == [("I1", eur("40.00"))]
    assert unapplied.is_zero


def test_overpayment_leaves_unapplied_cash() -> None:
    allocations, unapplied = allocate_payment(eur("250.00"), None, [A, B, C])
    assert amounts(allocations) == [("I2", eur("50.00")), ("I1", eur("100.00")), ("I3", eur("30.00"))]
    assert unapplied == eur("70.00")


def test_without_reference_oldest_due_first_across_several_invoices() -> None:
    allocations, unapplied = allocate_payment(eur("120.00"), None, [A, C, B])
    assert amounts(allocations) == [("I2", eur("50.00")), ("I1", eur("70.00"))]
    assert unapplied.is_zero


def test_due_date_ties_are_broken_by_issue_date_then_number() -> None:
    x = open_invoice("I7", "10", "2026-04-01", issued="2026-03-02", number="INV-2026-000007")
    y = open_invoice("I8", "10", "2026-04-01", issued="2026-03-01", number="INV-2026-000009")
    z = open_invoice("I9", "10", "2026-04-01", issued="2026-03-01", number="INV-2026-000008")
    allocations, _ = allocate_payment(eur("25"), None, [x, y, z])
    assert amounts(allocations) == [("I9", eur("10")), ("I8", eur("10")), ("I7", eur("5"))]


def test_reference_naming_an_invoice_pays_it_first_then_oldest_due() -> None:
    allocations, unapplied = allocate_payment(eur("120.00"), "payment for inv-2026-000003, thanks", [A, B, C])
    assert amounts(allocations) == [("I3", eur("30.00")), ("I2", eur("50.00")), ("I1", eur("40.00"))]
    assert unapplied.is_zero


def test_reference_can_name_the_invoice_id_and_several_invoices_in_order() -> None:
    x = OpenInvoice("a1b2-c3", "INV-2026-000100", dt.date(2026, 3, 1), dt.date(2026, 4, 1), eur("10"))
    assert invoices_named_in("REF A1B2-C3", [x]) == [x]
    assert [i.invoice_id for i in invoices_named_in("INV-2026-000003/INV-2026-000001", [A, B, C])] == [
        "I3",
        "I1",
    ]


def test_reference_must_name_the_whole_number() -> None:
    longer = open_invoice("I4", "10", "2026-04-01", number="INV-2026-0000031")
    assert invoices_named_in("INV-2026-0000031", [C, longer]) == [longer]
    assert invoices_named_in("XINV-2026-000003", [C]) == []
    assert invoices_named_in(None, [C]) == []


def test_reference_to_an_invoice_that_is_not_open_falls_back_to_oldest_due() -> None:
    allocations, _ = allocate_payment(eur("10"), "INV-2026-000099", [A, B])
    assert amounts(allocations) == [("I2", eur("10"))]


def test_reference_with_less_than_the_named_invoice_pays_it_partly() -> None:
    allocations, unapplied = allocate_payment(eur("60"), "INV-2026-000001", [A, B])
    assert amounts(allocations) == [("I1", eur("60"))]
    assert unapplied.is_zero


def test_unapplied_cash_is_applied_later_oldest_due_first() -> None:
    allocations, rest = apply_unapplied_cash(eur("60"), [C, B])
    assert amounts(allocations) == [("I2", eur("50")), ("I3", eur("10"))]
    assert rest.is_zero
    allocations, rest = apply_unapplied_cash(eur("60"), [])
    assert allocations == [] and rest == eur("60")


def account() -> BillingAccount:
    return BillingAccount.opened(open_billing_account("C1", "EUR"))


def test_post_payment_records_allocations_unapplied_and_paid_invoices() -> None:
    events = post_payment(
        account(), "P1", eur("170.00"), RECEIVED, "BANK-1", [A, B], payer_reference="INV-2026-000001"
    )
    posted = events[0]
    assert isinstance(posted, PaymentPosted)
    assert posted.customer_id == "C1"
    assert amounts(posted.allocations) == [("I1", eur("100.00")), ("I2", eur("50.00"))]
    assert posted.unapplied == eur("20.00")
    assert events[1:] == [
        InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=RECEIVED),
        InvoicePaid(invoice_id="I2", customer_id="C1", paid_on=RECEIVED),
    ]


def test_partial_payment_does_not_mark_the_invoice_paid() -> None:
    events = post_payment(account(), "P1", eur("99.99"), RECEIVED, "BANK-1", [A])
    assert len(events) == 1


@pytest.mark.parametrize(
    ("amount", "rule", "field"),
    [
        (eur("0"), "amount-not-positive", "amount.amount"),
        (eur("-5"), "amount-not-positive", "amount.amount"),
        (Money.of("10", "USD"), "currency-mismatch", "amount.currency"),
        (Money(eur("1").amount / 1000, "EUR"), "too-many-decimals", "amount.amount"),
    ],
)
def test_payment_validation(amount: Money, rule: str, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        post_payment(account(), "P1", amount, RECEIVED, "BANK-1", [A])
    assert (caught.value.rule, caught.value.field) == (rule, field)


def test_payment_needs_a_bank_transaction() -> None:
    with pytest.raises(InvalidInput) as caught:
        post_payment(account(), "P1", eur("1"), RECEIVED, " ", [A])
    assert caught.value.rule == "bank-transaction-required"


def test_payment_state_rebuilds_from_its_stream() -> None:
    posted = post_payment(account(), "P1", eur("120"), RECEIVED, "BANK-1", [B])[0]
    payment = Payment.rebuild(
        [
            posted,
            PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("70")),
            PaymentUnallocated(
                payment_id="P1", customer_id="C1", invoice_id="I2", amount=eur("50"), reason="wrong"
            ),
        ]
    )
    assert payment.version == 3
    assert payment.allocations == {"I1": eur("70")}
    assert payment.allocated == eur("70")
    with pytest.raises(ValueError):
        payment.apply(PaymentAllocated(payment_id="P2", customer_id="C1", invoice_id="I1", amount=eur("1")))
