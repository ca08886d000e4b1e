"""Business dates of receivables: invoice dates and their series, and when cash is applied."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.catalog.billing import (
    CashApplicationChanged,
    CreditNoteIssued,
    CreditNoteLine,
    InvoicePaid,
    PaymentAllocated,
    PaymentPosted,
    VatRateAmount,
)
from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.money import Money
from backoffice_platform.clock import business_date, company_zone
from backoffice_platform.errors import DomainError
from billing_service.domain.accounts import BillingAccount, open_billing_account
from billing_service.domain.cash import UnappliedCash, allocation_date
from billing_service.domain.invoices import Invoice, invoice_date_in_series, invoice_for_shipment
from billing_service.domain.payments import post_payment

from .test_cash import ACCOUNT, customer_with_surplus, eur, invoice, record

D = dt.date


def dated(invoice_id: str, gross: str, issued: D, terms: int = 30) -> Invoice:
    """An invoice of C1 issued on ``issued``."""
    found = invoice(invoice_id, gross, (issued + dt.timedelta(days=terms)).isoformat())
    found.issue_date = issued
    return found


# invoice dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("delivered", "last_issued", "expected"),
    [
        (D(2026, 1, 1), None, D(2026, 1, 1)),  # the first invoice of a series
        (D(2026, 3, 5), D(2026, 3, 4), D(2026, 3, 5)),  # after the latest: its own date
        (D(2026, 3, 5), D(2026, 3, 5), D(2026, 3, 5)),  # same day
        (D(2026, 3, 2), D(2026, 3, 5), D(2026, 3, 5)),  # a late shipment: the later date
    ],
)
def test_invoice_date_never_runs_against_the_series(delivered: D, last_issued: D | None, expected: D) -> None:
    assert invoice_date_in_series(delivered, last_issued) == expected


def shipped_at(at: dt.datetime) -> OrderShipped:
    price = Money.of("25.00", "EUR")
    return OrderShipped(
        order_id="O1",
        shipment_id="S1",
        customer_id="C1",
        currency="EUR",
        lines=[ShippedLine(line_no=1, sku="A", quantity=1, unit_price=price, vat_rate=0.21)],  # type: ignore[arg-type]
        carrier="dhl",
        shipped_at=at,
    )


def test_a_new_years_eve_shipment_in_copenhagen_is_invoiced_in_the_new_year() -> None:
    at = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    delivered = business_date(at, company_zone("Europe/Copenhagen"))
    assert delivered == D(2026, 1, 1)
    account = BillingAccount.opened(open_billing_account("C1", "EUR", payment_terms_days=14))
    issue = invoice_date_in_series(delivered, None)
    issued = invoice_for_shipment(shipped_at(at), account, "I1", "INV-2026-000001", issue, delivered)
    assert issued is not None
    assert (issued.issue_date, issued.delivery_date, issued.due_date) == (
        D(2026, 1, 1),
        D(2026, 1, 1),
        D(2026, 1, 15),
    )
    # The same instant for a company on UTC is still last year.
    assert business_date(at, company_zone("UTC")) == D(2025, 12, 31)


def test_a_late_shipment_keeps_its_delivery_date_and_is_due_from_the_issue_date() -> None:
    account = BillingAccount.opened(open_billing_account("C1", "EUR", payment_terms_days=10))
    delivered = D(2026, 3, 2)
    issue = invoice_date_in_series(delivered, D(2026, 3, 5))
    issued = invoice_for_shipment(
        shipped_at(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC)),
        account,
        "I9",
        "INV-2026-000009",
        issue,
        delivered,
    )
    assert issued is not None
    assert (issued.issue_date, issued.delivery_date, issued.due_date) == (
        D(2026, 3, 5),
        D(2026, 3, 2),
        D(2026, 3, 15),
    )


# when cash is applied ----------------------------------------------------------------------


def test_allocation_date_is_never_before_the_invoice_or_the_cash() -> None:
    assert allocation_date(D(2026, 3, 1), D(2026, 2, 20), D(2026, 2, 25)) == D(2026, 3, 1)
    assert allocation_date(D(2026, 2, 20), D(2026, 2, 20), D(2026, 2, 25)) == D(2026, 2, 25)
    assert allocation_date(D(2026, 2, 25), D(2026, 2, 28), D(2026, 2, 20)) == D(2026, 2, 28)


def test_a_payment_before_its_invoice_stays_unapplied_until_the_invoice_date() -> None:
    later = dated("I1", "30.25", D(2026, 1, 15))
    events = post_payment(
        ACCOUNT, "P1", eur("30.25"), D(2026, 1, 10), "B1", [later.as_open_invoice()], "INV-2026-000001"
    )
    posted, allocated, paid = events
    assert isinstance(posted, PaymentPosted)
    assert (posted.allocations, posted.unapplied, posted.received_on) == ([], eur("30.25"), D(2026, 1, 10))
    assert allocated == PaymentAllocated(
        payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("30.25"), allocated_on=D(2026, 1, 15)
    )
    assert paid == InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=D(2026, 1, 15))


def test_a_payment_pays_earlier_invoices_at_once_and_later_ones_on_their_date() -> None:
    earlier = dated("I1", "100", D(2026, 1, 5))
    later = dated("I2", "50", D(2026, 1, 20))
    events = post_payment(
        ACCOUNT, "P1", eur("120"), D(2026, 1, 10), "B1", [earlier.as_open_invoice(), later.as_open_invoice()]
    )
    posted = events[0]
    assert isinstance(posted, PaymentPosted)
    assert [(a.invoice_id, a.amount) for a in posted.allocations] == [("I1", eur("100"))]
    assert posted.unapplied == eur("20")
    assert events[1] == InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=D(2026, 1, 10))
    assert events[2:] == [
        PaymentAllocated(
            payment_id="P1", customer_id="C1", invoice_id="I2", amount=eur("20"), allocated_on=D(2026, 1, 20)
        )
    ]
    cash = UnappliedCash("C1", "EUR")
    record(cash, [earlier, later], events)
    assert cash.balance == eur("0")
    assert later.open_amount == eur("30")


def test_cash_applied_to_a_new_invoice_is_dated_on_the_invoice_not_before() -> None:
    cash = UnappliedCash("C1", "EUR")
    record(cash, [], post_payment(ACCOUNT, "P1", eur("40"), D(2026, 1, 10), "B1", []))
    new = dated("I1", "40", D(2026, 1, 15))
    events = cash.apply_to([new.as_open_invoice()], new.issue_date)
    assert events == [
        PaymentAllocated(
            payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("40"), allocated_on=D(2026, 1, 15)
        ),
        InvoicePaid(invoice_id="I1", customer_id="C1", paid_on=D(2026, 1, 15)),
    ]
    # An invoice dated before cash that arrived later (a late shipment) is paid when the cash came.
    cash = UnappliedCash("C1", "EUR")
    record(cash, [], post_payment(ACCOUNT, "P2", eur("40"), D(2026, 1, 20), "B2", []))
    events = cash.apply_to([new.as_open_invoice()], new.issue_date)
    assert isinstance(events[0], PaymentAllocated) and events[0].allocated_on == D(2026, 1, 20)


# one balance, whatever its source ---------------------------------------------------------


def test_a_clerk_applies_unapplied_cash_of_any_source_oldest_first() -> None:
    cash, _ = customer_with_surplus()  # P1 holds 50, received 2026-03-20
    cash.apply(
        CreditNoteIssued(
            invoice_id="I0",
            customer_id="C1",
            credit_note_id="CN1",
            number="CN-2026-000001",
            lines=[
                CreditNoteLine(
                    line_no=1, sku="S", vat_rate=Decimal(0), net=eur("30"), vat=eur("0"), gross=eur("30")
                )
            ],
            vat_breakdown=[VatRateAmount(vat_rate=Decimal(0), taxable=eur("30"), vat=eur("0"))],
            net=eur("30"),
            vat=eur("0"),
            gross=eur("30"),
            applied=eur("0"),
            unapplied=eur("30"),
            reason="damaged",
            issue_date=D(2026, 3, 25),
        )
    )
    target = dated("I5", "70", D(2026, 4, 1))
    events = cash.apply_by_hand(target, eur("70"), D(2026, 4, 2))
    assert events == [
        PaymentAllocated(
            payment_id="P1",
            customer_id="C1",
            invoice_id="I5",
            amount=eur("50"),
            manual=True,
            allocated_on=D(2026, 4, 2),
        ),
        PaymentAllocated(
            payment_id="CN1",
            customer_id="C1",
            invoice_id="I5",
            amount=eur("20"),
            manual=True,
            allocated_on=D(2026, 4, 2),
        ),
        InvoicePaid(invoice_id="I5", customer_id="C1", paid_on=D(2026, 4, 2)),
    ]
    only_credit = cash.apply_by_hand(target, eur("10"), D(2026, 4, 2), source_id="CN1")
    assert [(e.payment_id, e.amount) for e in only_credit if isinstance(e, PaymentAllocated)] == [
        ("CN1", eur("10"))
    ]


def test_applying_more_than_the_unapplied_balance_or_the_open_amount_is_refused() -> None:
    cash, paid = customer_with_surplus()
    target = dated("I5", "20", D(2026, 4, 1))
    with pytest.raises(DomainError) as err:
        cash.apply_by_hand(target, eur("60"), D(2026, 4, 2))
    assert (err.value.field, err.value.rule) == ("amount", "allocation-exceeds-unapplied")
    with pytest.raises(DomainError) as err:
        cash.apply_by_hand(target, eur("30"), D(2026, 4, 2))
    assert (err.value.field, err.value.rule) == ("amount", "allocation-exceeds-open-amount")
    with pytest.raises(DomainError) as err:
        cash.apply_by_hand(paid, eur("1"), D(2026, 4, 2))
    assert err.value.rule == "allocation-exceeds-open-amount"


def test_automatic_application_is_a_setting_of_the_account() -> None:
    account = BillingAccount.opened(open_billing_account("C1", "EUR"))
    assert account.auto_apply_cash
    changed = account.set_cash_application(False)
    assert changed == [CashApplicationChanged(customer_id="C1", auto_apply_cash=False)]
    account.apply(changed[0])
    assert (account.auto_apply_cash, account.version) == (False, 2)
    assert account.set_cash_application(False) == []
    rebuilt = BillingAccount.rebuild(
        [open_billing_account("C1", "EUR", auto_apply_cash=False), *account.set_cash_application(True)]
    )
    assert (rebuilt.auto_apply_cash, rebuilt.version) == (True, 2)
    assert not BillingAccount.opened(open_billing_account("C2", "EUR", auto_apply_cash=False)).auto_apply_cash
