import datetime as dt
from collections.abc import Sequence

import pytest

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceLine,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    VatRateAmount,
)
from backoffice_events.money import Money
from backoffice_platform.errors import DomainError, InvalidInput, NotFound
from billing_service.domain.accounts import BillingAccount, open_billing_account
from billing_service.domain.cash import UnappliedCash
from billing_service.domain.credit import issue_refund
from billing_service.domain.invoices import Invoice
from billing_service.domain.payments import post_payment

TODAY = dt.date(2026, 5, 10)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def invoice(invoice_id: str, gross: str, due: str, customer: str = "C1", currency: str = "EUR") -> Invoice:
    amount = Money.of(gross, currency)
    return Invoice.issued(
        InvoiceIssued(
            invoice_id=invoice_id,
            customer_id=customer,
            number=f"INV-2026-{invoice_id[1:].zfill(6)}",
            order_id="O1",
            shipment_id=f"S-{invoice_id}",
            issue_date=dt.date(2026, 3, 1),
            due_date=dt.date.fromisoformat(due),
            currency=currency,
            lines=[
                InvoiceLine(
                    line_no=1,
                    sku="A",
                    quantity=1,
                    unit_price=amount,
                    vat_rate=0,
                    net=amount,
                    vat=Money.zero(currency),
                    gross=amount,
                )
            ],
            net=amount,
            vat=Money.zero(currency),
            gross=amount,
        )
    )


PAYMENT_EVENTS = (PaymentPosted, PaymentAllocated, PaymentUnallocated)
ACCOUNT = BillingAccount.opened(open_billing_account("C1", "EUR"))


def record(
    cash: UnappliedCash, invoices: list[Invoice], events: Sequence[EventModel]
) -> Sequence[EventModel]:
    """Fold freshly decided events into the cash and the invoices they concern, as the adapter would."""
    for event in events:
        cash.apply(event)
        for inv in invoices:
            if isinstance(event, PAYMENT_EVENTS) or getattr(event, "invoice_id", None) == inv.invoice_id:
                inv.apply(event)
    return events


def customer_with_surplus() -> tuple[UnappliedCash, Invoice]:
    """C1 paid 150 for a 100 invoice: 50 unapplied on P1."""
    first = invoice("I1", "100", "2026-04-01")
    cash = UnappliedCash("C1", "EUR")
    record(
        cash,
        [first],
        post_payment(ACCOUNT, "P1", eur("150"), dt.date(2026, 3, 20), "B1", [first.as_open_invoice()]),
    )
    return cash, first


def test_surplus_of_a_payment_is_unapplied_cash() -> None:
    cash, first = customer_with_surplus()
    assert cash.balance == eur("50")
    assert [(s.source_id, s.kind, s.unapplied) for s in cash.sources] == [("P1", "payment", eur("50"))]
    assert first.status == "paid"
    assert cash.allocated_to("P1", "I1") == eur("100")


def test_unapplied_cash_is_applied_automatically_when_a_new_invoice_is_issued() -> None:
    cash, _ = customer_with_surplus()
    second = invoice("I2", "30", "2026-05-01")
    events = cash.apply_to([second.as_open_invoice()], TODAY)
    assert events == [
        PaymentAllocated(
            payment_id="P1",
            customer_id="C1",
            invoice_id="I2",
            amount=eur("30"),
            manual=False,
            allocated_on=TODAY,
        ),
        InvoicePaid(invoice_id="I2", customer_id="C1", paid_on=TODAY),
    ]
    record(cash, [second], events)
    assert cash.balance == eur("20")
    assert second.status == "paid"


def test_automatic_application_spreads_oldest_cash_over_oldest_due_invoices() -> None:
    cash = UnappliedCash("C1", "EUR")
    record(cash, [], post_payment(ACCOUNT, "P1", eur("30"), dt.date(2026, 3, 1), "B1", []))
    record(cash, [], post_payment(ACCOUNT, "P2", eur("40"), dt.date(2026, 3, 5), "B2", []))
    late, early = invoice("I2", "50", "2026-06-01"), invoice("I3", "50", "2026-05-01")
    events = cash.apply_to([late.as_open_invoice(), early.as_open_invoice()], TODAY)
    assert [(e.payment_id, e.invoice_id, e.amount) for e in events if isinstance(e, PaymentAllocated)] == [
        ("P1", "I3", eur("30")),
        ("P2", "I3", eur("20")),
        ("P2", "I2", eur("20")),
    ]
    assert [e.invoice_id for e in events if isinstance(e, InvoicePaid)] == ["I3"]


def test_nothing_to_apply_without_cash() -> None:
    cash = UnappliedCash("C1", "EUR")
    assert cash.apply_to([invoice("I2", "50", "2026-06-01").as_open_invoice()], TODAY) == []


def test_manual_allocation_and_its_guards() -> None:
    cash, _ = customer_with_surplus()
    target = invoice("I2", "40", "2026-05-01")
    events = cash.allocate("P1", target, eur("40"), TODAY)
    assert events[0] == PaymentAllocated(
        payment_id="P1", customer_id="C1", invoice_id="I2", amount=eur("40"), manual=True, allocated_on=TODAY
    )
    assert events[1] == InvoicePaid(invoice_id="I2", customer_id="C1", paid_on=TODAY)
    assert len(cash.allocate("P1", target, eur("10"), TODAY)) == 1

    big = invoice("I3", "500", "2026-05-01")
    with pytest.raises(DomainError) as caught:
        cash.allocate("P1", big, eur("50.01"), TODAY)
    assert caught.value.rule == "allocation-exceeds-payment"
    with pytest.raises(DomainError) as caught:
        cash.allocate("P1", target, eur("40.01"), TODAY)
    assert caught.value.rule == "allocation-exceeds-open-amount"
    with pytest.raises(NotFound) as caught:
        cash.allocate("P9", target, eur("1"), TODAY)
    assert caught.value.rule == "payment-not-found"
    with pytest.raises(InvalidInput) as caught:
        cash.allocate("P1", target, Money.of("1", "USD"), TODAY)
    assert caught.value.rule == "currency-mismatch"
    with pytest.raises(DomainError) as caught:
        cash.allocate("P1", invoice("I4", "10", "2026-05-01", currency="USD"), Money.of("1", "USD"), TODAY)
    assert caught.value.rule == "currency-mismatch"
    with pytest.raises(DomainError) as caught:
        cash.allocate("P1", invoice("I5", "10", "2026-05-01", customer="C2"), eur("1"), TODAY)
    assert caught.value.rule == "invoice-of-other-customer"
    with pytest.raises(InvalidInput) as caught:
        cash.allocate("P1", target, eur("0"), TODAY)
    assert caught.value.rule == "amount-not-positive"


def test_a_paid_invoice_has_nothing_open_to_allocate_to() -> None:
    cash, first = customer_with_surplus()
    with pytest.raises(DomainError) as caught:
        cash.allocate("P1", first, eur("1"), TODAY)
    assert caught.value.rule == "allocation-exceeds-open-amount"


def test_unallocation_returns_cash_and_reopens_the_invoice() -> None:
    cash, first = customer_with_surplus()
    events = record(cash, [first], [cash.unallocate("P1", first, eur("25"), "paid the wrong invoice", TODAY)])
    assert events == [
        PaymentUnallocated(
            payment_id="P1",
            customer_id="C1",
            invoice_id="I1",
            amount=eur("25"),
            reason="paid the wrong invoice",
            unallocated_on=TODAY,
        )
    ]
    assert cash.balance == eur("75")
    assert first.status == "open" and first.open_amount == eur("25")
    with pytest.raises(DomainError) as caught:
        cash.unallocate("P1", first, eur("75.01"), "too much", TODAY)
    assert caught.value.rule == "unallocation-exceeds-allocated"
    with pytest.raises(InvalidInput) as caught:
        cash.unallocate("P1", first, eur("1"), "  ", TODAY)
    assert caught.value.rule == "reason-required"


def test_no_unallocation_from_a_written_off_invoice() -> None:
    cash = UnappliedCash("C1", "EUR")
    inv = invoice("I1", "100", "2026-04-01")
    record(
        cash,
        [inv],
        post_payment(ACCOUNT, "P1", eur("60"), dt.date(2026, 4, 2), "B1", [inv.as_open_invoice()]),
    )
    inv.apply(
        InvoiceWrittenOff(
            invoice_id="I1", customer_id="C1", amount=eur("40"), reason="x", written_off_on=TODAY
        )
    )
    with pytest.raises(DomainError) as caught:
        cash.unallocate("P1", inv, eur("10"), "reverse", TODAY)
    assert caught.value.rule == "invoice-written-off"


def test_reallocation_moves_an_allocation_between_invoices() -> None:
    cash, first = customer_with_surplus()
    cash.apply(
        PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I9", amount=eur("50"))
    )  # cash now fully used
    second = invoice("I2", "100", "2026-05-01")
    events = cash.reallocate("P1", first, second, eur("100"), "customer meant I2", TODAY)
    assert [type(e).__name__ for e in events] == ["PaymentUnallocated", "PaymentAllocated", "InvoicePaid"]
    assert events[1] == PaymentAllocated(
        payment_id="P1", customer_id="C1", invoice_id="I2", amount=eur("100"), manual=True, allocated_on=TODAY
    )
    with pytest.raises(InvalidInput) as caught:
        cash.reallocate("P1", first, first, eur("1"), "x", TODAY)
    assert caught.value.rule == "same-invoice"
    with pytest.raises(DomainError) as refused:
        cash.reallocate("P1", first, invoice("I3", "10", "2026-05-01"), eur("20"), "x", TODAY)
    assert refused.value.rule == "allocation-exceeds-open-amount"


def test_credit_note_surplus_is_a_cash_source_and_refunds_take_the_oldest_cash_first() -> None:
    cash, _ = customer_with_surplus()  # P1: 50 on 2026-03-20
    cash.apply(
        CreditNoteIssued(
            invoice_id="I1",
            customer_id="C1",
            credit_note_id="K1",
            number="CN-2026-000001",
            lines=[],
            vat_breakdown=[VatRateAmount(vat_rate=None, taxable=eur("20"), vat=eur("0"))],
            net=eur("20"),
            vat=eur("0"),
            gross=eur("20"),
            applied=eur("0"),
            unapplied=eur("20"),
            reason="late",
            issue_date=dt.date(2026, 4, 1),
        )
    )
    assert cash.balance == eur("70")
    cash.apply(issue_refund(cash, "R1", eur("60"), TODAY))
    assert cash.balance == eur("10")
    assert [(s.source_id, s.kind, s.unapplied) for s in cash.sources] == [("K1", "credit_note", eur("10"))]
    with pytest.raises(DomainError) as caught:
        cash.allocate("P1", invoice("I2", "10", "2026-05-01"), eur("1"), TODAY)
    assert caught.value.rule == "allocation-exceeds-payment"
    events = cash.apply_to([invoice("I2", "10", "2026-05-01").as_open_invoice()], TODAY)
    assert isinstance(events[0], PaymentAllocated) and events[0].payment_id == "K1"


def test_cash_refuses_events_of_another_customer_and_ignores_non_cash_events() -> None:
    cash = UnappliedCash("C1", "EUR")
    with pytest.raises(ValueError):
        cash.apply(PaymentAllocated(payment_id="P1", customer_id="C2", invoice_id="I1", amount=eur("1")))
    cash.apply(InvoicePaid(invoice_id="I1", customer_id="C2", paid_on=TODAY))
    assert cash.balance.is_zero
