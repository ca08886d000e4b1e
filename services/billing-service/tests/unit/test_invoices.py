import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from backoffice_events.catalog.billing import (
    Allocation,
    CreditNoteIssued,
    DunningNoticeIssued,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    VatRateAmount,
)
from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.money import Money
from backoffice_platform.errors import DomainError, InvalidInput
from billing_service.domain.accounts import BillingAccount, open_billing_account
from billing_service.domain.invoices import Invoice, format_invoice_number, invoice_for_shipment

ISSUE = dt.date(2026, 3, 2)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def account(currency: str = "EUR", terms: int = 30, customer: str = "C1") -> BillingAccount:
    return BillingAccount.opened(open_billing_account(customer, currency, payment_terms_days=terms))


def line(no: int, qty: int, price: str, vat: str, discount: str = "0", currency: str = "EUR") -> ShippedLine:
    return ShippedLine(
        line_no=no,
        sku=f"SKU-{no}",
        quantity=qty,
        unit_price=Money.of(price, currency),
        discount_percent=Decimal(discount),
        vat_rate=Decimal(vat),
    )


def shipment(*lines: ShippedLine, currency: str = "EUR", customer: str = "C1", **extra: Any) -> OrderShipped:
    return OrderShipped(
        order_id="O1",
        shipment_id="S1",
        customer_id=customer,
        currency=currency,
        lines=list(lines),
        carrier="dhl",
        shipped_at=dt.datetime(2026, 3, 1, 15, tzinfo=dt.UTC),
        **extra,
    )


def test_invoice_carries_the_shipment_terms_and_totals() -> None:
    issued = invoice_for_shipment(
        shipment(line(1, 2, "10.00", "0.21"), line(2, 1, "5.00", "0.09")),
        account(terms=14),
        "I1",
        "INV-2026-000001",
        ISSUE,
    )
    assert issued is not None
    assert (issued.invoice_id, issued.number, issued.order_id, issued.shipment_id) == (
        "I1",
        "INV-2026-000001",
        "O1",
        "S1",
    )
    assert issued.due_date == dt.date(2026, 3, 16)
    assert [(li.net, li.vat, li.gross) for li in issued.lines] == [
        (eur("20.00"), eur("4.20"), eur("24.20")),
        (eur("5.00"), eur("0.45"), eur("5.45")),
    ]
    assert (issued.net, issued.vat, issued.gross) == (eur("25.00"), eur("4.65"), eur("29.65"))


def test_net_is_rounded_half_up_after_discount() -> None:
    # 3 x 1.75 at 10 % off = 4.725: half up gives 4.73 (bankers' rounding would give 4.72).
    issued = invoice_for_shipment(
        shipment(line(1, 3, "1.75", "0.21", discount="10")), account(), "I1", "N", ISSUE
    )
    assert issued is not None
    assert issued.lines[0].net == eur("4.73")
    assert issued.lines[0].vat == eur("0.99")  # 0.9933
    assert issued.gross == eur("5.72")


def test_vat_half_cent_is_rounded_up_per_line_and_totals_are_sums_of_lines() -> None:
    # 0.50 at 21 % = 0.105 -> 0.11 per line; three lines make 0.33, not round(1.50 * 0.21) = 0.32.
    issued = invoice_for_shipment(
        shipment(line(1, 1, "0.50", "0.21"), line(2, 1, "0.50", "0.21"), line(3, 1, "0.50", "0.21")),
        account(),
        "I1",
        "N",
        ISSUE,
    )
    assert issued is not None
    assert [li.vat for li in issued.lines] == [eur("0.11")] * 3
    assert (issued.net, issued.vat, issued.gross) == (eur("1.50"), eur("0.33"), eur("1.83"))


def test_rounding_follows_the_currency_minor_units() -> None:
    issued = invoice_for_shipment(
        shipment(line(1, 3, "333", "0.1", discount="10", currency="JPY"), currency="JPY"),
        account("JPY"),
        "I1",
        "N",
        ISSUE,
    )
    assert issued is not None
    assert issued.lines[0].net == Money.of("899", "JPY")  # 899.1
    assert issued.lines[0].vat == Money.of("90", "JPY")  # 89.9


def test_free_replacements_and_zero_priced_shipments_are_not_invoiced() -> None:
    free = shipment(line(1, 1, "0", "0.21"), replacement_for="R1")
    assert invoice_for_shipment(free, account(), "I1", "N", ISSUE) is None
    assert invoice_for_shipment(shipment(line(1, 2, "0.00", "0.21")), account(), "I1", "N", ISSUE) is None


@pytest.mark.parametrize(
    ("shipped", "rule", "field"),
    [
        (shipment(line(1, 1, "1", "0"), customer="C2"), "account-of-other-customer", "customer_id"),
        (shipment(line(1, 1, "1", "0", currency="USD"), currency="USD"), "currency-mismatch", "currency"),
        (
            shipment(line(1, 1, "1", "0"), line(2, 1, "1", "0", currency="USD")),
            "currency-mismatch",
            "lines[1].unit_price.currency",
        ),
        (shipment(), "shipment-has-no-lines", "lines"),
    ],
)
def test_invoicing_rules(shipped: OrderShipped, rule: str, field: str) -> None:
    with pytest.raises(DomainError) as caught:
        invoice_for_shipment(shipped, account(), "I1", "N", ISSUE)
    assert (caught.value.rule, caught.value.field) == (rule, field)


def test_invoice_numbers_are_series_year_and_six_digit_sequence() -> None:
    assert format_invoice_number("INV", 2026, 42) == "INV-2026-000042"
    assert format_invoice_number("CN", 2027, 1) == "CN-2027-000001"
    assert format_invoice_number("INV", 2026, 1234567) == "INV-2026-1234567"
    with pytest.raises(InvalidInput) as caught:
        format_invoice_number("INV", 2026, 0)
    assert caught.value.rule == "seq-not-positive"
    with pytest.raises(InvalidInput) as caught:
        format_invoice_number("inv", 2026, 1)
    assert caught.value.rule == "bad-series"


def issued_invoice(gross: str = "121.00") -> Invoice:
    issued = invoice_for_shipment(shipment(line(1, 1, gross, "0")), account(), "I1", "INV-2026-000001", ISSUE)
    assert issued is not None
    return Invoice.issued(issued)


def test_invoice_state_folds_payments_credits_and_collections() -> None:
    issued = invoice_for_shipment(
        shipment(line(1, 1, "100.00", "0.21")), account(), "I1", "INV-2026-000001", ISSUE
    )
    assert issued is not None
    events = [
        issued,
        PaymentPosted(
            payment_id="P1",
            customer_id="C1",
            amount=eur("50"),
            received_on=ISSUE,
            bank_transaction_id="B1",
            allocations=[
                Allocation(invoice_id="I1", amount=eur("40")),
                Allocation(invoice_id="I9", amount=eur("10")),
            ],
            unapplied=eur("0"),
        ),
        PaymentAllocated(payment_id="P2", customer_id="C1", invoice_id="I1", amount=eur("30")),
        PaymentAllocated(payment_id="P2", customer_id="C1", invoice_id="I2", amount=eur("30")),
        PaymentUnallocated(
            payment_id="P2", customer_id="C1", invoice_id="I1", amount=eur("10"), reason="wrong"
        ),
        InvoiceOverdue(
            invoice_id="I1",
            customer_id="C1",
            due_date=issued.due_date,
            as_of=dt.date(2026, 4, 5),
            open_amount=eur("61"),
        ),
        DunningNoticeIssued(
            invoice_id="I1",
            customer_id="C1",
            level=1,
            level_name="reminder",
            days_overdue=7,
            as_of=dt.date(2026, 4, 8),
            open_amount=eur("61"),
        ),
        CreditNoteIssued(
            invoice_id="I1",
            customer_id="C1",
            credit_note_id="K1",
            number="CN-2026-000001",
            lines=[],
            vat_breakdown=[VatRateAmount(vat_rate=None, taxable=eur("8.26"), vat=eur("1.74"))],
            net=eur("8.26"),
            vat=eur("1.74"),
            gross=eur("10"),
            applied=eur("10"),
            unapplied=eur("0"),
            reason="damaged",
            issue_date=dt.date(2026, 4, 9),
        ),
    ]
    invoice = Invoice.rebuild(events)
    assert invoice.gross == eur("121.00")
    assert invoice.paid == eur("60")
    assert invoice.credited == eur("10")
    assert invoice.open_amount == eur("51")
    assert invoice.status == "open"
    assert invoice.overdue and invoice.dunning_level == 1
    # issued + overdue + dunning + credit note: payment events live on payment streams
    assert invoice.version == 4

    invoice.apply(
        InvoiceWrittenOff(
            invoice_id="I1",
            customer_id="C1",
            amount=eur("51"),
            reason="insolvent",
            written_off_on=dt.date(2026, 6, 1),
        )
    )
    assert (invoice.status, invoice.open_amount) == ("written_off", eur("0"))
    assert invoice.written_off == eur("51")
    assert invoice.as_open_invoice().open_amount == eur("0")


def test_invoice_is_paid_when_nothing_is_open_and_reopens_when_an_allocation_is_reversed() -> None:
    invoice = issued_invoice("121.00")
    invoice.apply(PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("121.00")))
    invoice.apply(InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=dt.date(2026, 3, 5)))
    assert invoice.status == "paid"
    assert invoice.paid_on == dt.date(2026, 3, 5)
    invoice.apply(
        PaymentUnallocated(
            payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("21"), reason="misapplied"
        )
    )
    assert (invoice.status, invoice.open_amount) == ("open", eur("21"))


def test_overdue_is_open_and_past_due() -> None:
    invoice = issued_invoice()
    assert not invoice.is_overdue(invoice.due_date)
    assert invoice.is_overdue(invoice.due_date + dt.timedelta(days=1))
    assert invoice.days_overdue(invoice.due_date + dt.timedelta(days=3)) == 3
    assert invoice.days_overdue(invoice.issue_date) == 0


def test_invoice_refuses_foreign_events() -> None:
    invoice = issued_invoice()
    with pytest.raises(ValueError):
        invoice.apply(InvoicePaid(invoice_id="I2", customer_id="C1", paid_on=ISSUE))
    with pytest.raises(ValueError):
        Invoice.rebuild([InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=ISSUE)])
