from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

import pytest

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    BillingAccountOpened,
    DunningNoticeIssued,
    InvoiceOverdue,
    InvoicePaid,
)
from backoffice_events.catalog.payables import SupplierBillReceived, SupplierBillRejected, SupplierRegistered
from backoffice_events.money import Money
from ledger_service.domain.accounts import DEFAULT_CHART, AccountRole, PartyKind, expense_account
from ledger_service.domain.entries import JournalEntry, check_balanced, entry_id_for
from ledger_service.domain.errors import PostingError
from ledger_service.domain.posting import business_date, post

if TYPE_CHECKING:
    from conftest import Events

OCCURRED = dt.date(2026, 3, 1)
C = PartyKind.CUSTOMER
S = PartyKind.SUPPLIER

Row = tuple[str, str, Decimal, PartyKind | None, str | None]


def rows(entry: JournalEntry) -> list[Row]:
    """(account, dr|cr, amount, party kind, party id) per line, for readable assertions."""
    return [
        (
            line.account,
            "dr" if line.debit else "cr",
            line.debit or line.credit,
            line.party_kind,
            line.party_id,
        )
        for line in entry.lines
    ]


def only(entries: list[JournalEntry]) -> JournalEntry:
    assert len(entries) == 1
    check_balanced(entries[0])
    return entries[0]


def d(amount: str) -> Decimal:
    return Decimal(amount)


# rules -----------------------------------------------------------------------------


def test_invoice_issued_debits_customer_ar_gross_and_credits_revenue_and_vat(events: Events) -> None:
    entry = only(post(events.invoice_issued(net="100.00", vat="21.00"), "ev-1", OCCURRED))
    assert rows(entry) == [
        ("1100", "dr", d("121.00"), C, "cust-1"),
        ("4000", "cr", d("100.00"), None, None),
        ("2200", "cr", d("21.00"), None, None),
    ]
    assert all(line.currency == "EUR" for line in entry.lines)
    assert (entry.event_id, entry.entry_id) == ("ev-1", entry_id_for("ev-1", "EUR"))
    assert entry.event_type == "backoffice.billing.invoice_issued.v1"
    assert entry.posted_on == dt.date(2026, 1, 10)  # the issue date, not when the event arrived
    assert "INV-2026-inv-1" in entry.description


def test_invoice_without_vat_has_no_vat_line_and_keeps_its_currency(events: Events) -> None:
    entry = only(post(events.invoice_issued(net="5000", vat="0", currency="JPY"), "ev-1", OCCURRED))
    assert rows(entry) == [("1100", "dr", d("5000"), C, "cust-1"), ("4000", "cr", d("5000"), None, None)]
    assert {line.currency for line in entry.lines} == {"JPY"}


def test_zero_invoice_posts_nothing(events: Events) -> None:
    assert post(events.invoice_issued(net="0.00", vat="0.00"), "ev-1", OCCURRED) == []


def test_payment_posted_splits_between_ar_and_unapplied(events: Events) -> None:
    event = events.payment_posted("150.00", [("inv-1", "100.00"), ("inv-2", "21.00")], "29.00")
    entry = only(post(event, "ev-2", OCCURRED))
    assert rows(entry) == [
        ("1000", "dr", d("150.00"), None, None),
        ("1100", "cr", d("121.00"), C, "cust-1"),
        ("2100", "cr", d("29.00"), C, "cust-1"),
    ]
    assert entry.posted_on == dt.date(2026, 1, 20)


def test_payment_posted_fully_unapplied_has_no_ar_line(events: Events) -> None:
    entry = only(post(events.payment_posted("50.00", [], "50.00"), "ev-2", OCCURRED))
    assert rows(entry) == [("1000", "dr", d("50.00"), None, None), ("2100", "cr", d("50.00"), C, "cust-1")]


def test_payment_allocated_moves_unapplied_to_ar_on_the_event_date(events: Events) -> None:
    entry = only(post(events.payment_allocated("29.00"), "ev-3", OCCURRED))
    assert rows(entry) == [("2100", "dr", d("29.00"), C, "cust-1"), ("1100", "cr", d("29.00"), C, "cust-1")]
    assert entry.posted_on == OCCURRED  # the event has no business date of its own


def test_payment_unallocated_is_the_reverse(events: Events) -> None:
    entry = only(post(events.payment_unallocated("29.00"), "ev-4", OCCURRED))
    assert rows(entry) == [("1100", "dr", d("29.00"), C, "cust-1"), ("2100", "cr", d("29.00"), C, "cust-1")]


def test_credit_note_reduces_ar_and_sends_surplus_to_unapplied(events: Events) -> None:
    event = events.credit_note_issued(net="50.00", vat="10.50", applied="40.00", unapplied="20.50")
    entry = only(post(event, "ev-5", OCCURRED))
    assert rows(entry) == [
        ("4100", "dr", d("50.00"), None, None),
        ("2200", "dr", d("10.50"), None, None),
        ("1100", "cr", d("40.00"), C, "cust-1"),
        ("2100", "cr", d("20.50"), C, "cust-1"),
    ]
    assert entry.posted_on == dt.date(2026, 1, 25)


def test_credit_note_fully_applied_has_no_unapplied_line(events: Events) -> None:
    entry = only(post(events.credit_note_issued(net="50.00", vat="10.50", applied="60.50"), "ev-5", OCCURRED))
    assert [(r[0], r[1]) for r in rows(entry)] == [("4100", "dr"), ("2200", "dr"), ("1100", "cr")]


def test_invoice_written_off_moves_ar_to_bad_debt(events: Events) -> None:
    entry = only(post(events.invoice_written_off("121.00"), "ev-6", OCCURRED))
    assert rows(entry) == [("6900", "dr", d("121.00"), None, None), ("1100", "cr", d("121.00"), C, "cust-1")]
    assert entry.posted_on == dt.date(2026, 6, 30)


def test_refund_pays_out_unapplied_cash(events: Events) -> None:
    entry = only(post(events.refund_issued("29.00"), "ev-7", OCCURRED))
    assert rows(entry) == [("2100", "dr", d("29.00"), C, "cust-1"), ("1000", "cr", d("29.00"), None, None)]
    assert entry.posted_on == dt.date(2026, 2, 1)


def test_supplier_bill_approved_debits_expense_per_account_and_vat_input(events: Events) -> None:
    event = events.supplier_bill_approved(
        [
            events.bill_line(1, "6100", "100.00", "21.00"),
            events.bill_line(2, "6300", "40.00", "0.00"),
            events.bill_line(3, "6100", "10.00", "2.10"),
        ]
    )
    entry = only(post(event, "ev-8", OCCURRED))
    assert rows(entry) == [
        ("6100", "dr", d("110.00"), None, None),
        ("6300", "dr", d("40.00"), None, None),
        ("1400", "dr", d("23.10"), None, None),
        ("2000", "cr", d("173.10"), S, "sup-1"),
    ]
    assert entry.posted_on == dt.date(2026, 1, 15)


def test_supplier_bill_credit_line_outweighing_charges_credits_that_expense(events: Events) -> None:
    event = events.supplier_bill_approved(
        [events.bill_line(1, "6100", "100.00", "21.00"), events.bill_line(2, "6200", "-10.00", "-2.10")]
    )
    entry = only(post(event, "ev-8", OCCURRED))
    assert rows(entry) == [
        ("6100", "dr", d("100.00"), None, None),
        ("6200", "cr", d("10.00"), None, None),
        ("1400", "dr", d("18.90"), None, None),
        ("2000", "cr", d("108.90"), S, "sup-1"),
    ]


def test_supplier_bill_uses_named_expense_account_from_chart(events: Events) -> None:
    chart = DEFAULT_CHART.with_accounts(expense_account("6100", "Freight"))
    event = events.supplier_bill_approved([events.bill_line(1, "6100", "10.00", "2.10")])
    assert rows(only(post(event, "ev-8", OCCURRED, chart=chart)))[0][0] == "6100"


def test_supplier_payment_settles_ap_from_cash(events: Events) -> None:
    entry = only(post(events.supplier_payment_made("173.10"), "ev-9", OCCURRED))
    assert rows(entry) == [("2000", "dr", d("173.10"), S, "sup-1"), ("1000", "cr", d("173.10"), None, None)]
    assert entry.posted_on == dt.date(2026, 2, 10)


def test_posting_is_deterministic(events: Events) -> None:
    event = events.invoice_issued()
    assert post(event, "ev-1", OCCURRED) == post(event, "ev-1", OCCURRED)


def test_rules_use_the_chart_codes_for_each_role(events: Events) -> None:
    # Renumber the roles: the rules must follow the chart, not hard-coded codes.
    from dataclasses import replace

    from ledger_service.domain.accounts import SEEDED_ACCOUNTS, ChartOfAccounts

    chart = ChartOfAccounts(replace(a, code="9" + a.code) for a in SEEDED_ACCOUNTS)
    entry = only(post(events.invoice_issued(), "ev-1", OCCURRED, chart=chart))
    assert [r[0] for r in rows(entry)] == [
        chart.code_for(AccountRole.ACCOUNTS_RECEIVABLE),
        chart.code_for(AccountRole.REVENUE),
        chart.code_for(AccountRole.VAT_OUTPUT),
    ]
    assert [r[0] for r in rows(entry)] == ["91100", "94000", "92200"]


# events that post nothing ------------------------------------------------------------


def _no_post_events() -> list[EventModel]:
    eur = Money.of("121.00", "EUR")
    day = dt.date(2026, 2, 20)
    bill = {"bill_id": "bill-1", "supplier_id": "sup-1"}
    return [
        BillingAccountOpened(customer_id="cust-1", currency="EUR", payment_terms_days=30),
        InvoicePaid(invoice_id="inv-1", customer_id="cust-1", paid_on=day),
        InvoiceOverdue(invoice_id="inv-1", customer_id="cust-1", due_date=day, as_of=day, open_amount=eur),
        DunningNoticeIssued(
            invoice_id="inv-1",
            customer_id="cust-1",
            level=1,
            level_name="reminder",
            days_overdue=10,
            as_of=day,
            open_amount=eur,
        ),
        SupplierRegistered(supplier_id="sup-1", name="Acme", currency="EUR", payment_terms_days=30),
        SupplierBillReceived(
            **bill,
            supplier_invoice_number="A-1",
            bill_date=day,
            due_date=day,
            currency="EUR",
            lines=[],
            net=eur,
            vat=Money.zero("EUR"),
            gross=eur,
            entered_by="clerk",
        ),
        SupplierBillRejected(**bill, rejected_by="approver", reason="duplicate"),
    ]


@pytest.mark.parametrize("event", _no_post_events(), ids=lambda e: type(e).__name__)
def test_events_without_money_movement_post_nothing(event: EventModel) -> None:
    assert post(event, "ev-x", OCCURRED) == []


class _Unheard(EventModel):
    event_type: ClassVar[str] = "backoffice.test.unheard"
    topic: ClassVar[str] = "backoffice.test"


def test_event_type_without_rule_is_refused_not_skipped() -> None:
    with pytest.raises(PostingError) as caught:
        post(_Unheard(), "ev-x", OCCURRED)
    assert caught.value.rule == "event-type-not-posted"


def test_business_date_falls_back_to_occurred_on(events: Events) -> None:
    assert business_date(events.invoice_issued(), OCCURRED) == dt.date(2026, 1, 10)
    assert business_date(events.payment_allocated("1.00"), OCCURRED) == OCCURRED


def test_allocations_count_on_their_own_business_date(events: Events) -> None:
    on = dt.date(2026, 1, 3)
    allocated = events.payment_allocated("1.00").model_copy(update={"allocated_on": on})
    unallocated = events.payment_unallocated("1.00").model_copy(update={"unallocated_on": on})
    assert business_date(allocated, OCCURRED) == on
    assert business_date(unallocated, OCCURRED) == on
    assert post(allocated, "evt-a", OCCURRED)[0].posted_on == on


# inconsistent events -------------------------------------------------------------------


def _rule_of(event: EventModel) -> tuple[str | None, str | None]:
    with pytest.raises(PostingError) as caught:
        post(event, "ev-bad", OCCURRED)
    assert isinstance(caught.value, ValueError)
    return caught.value.rule, caught.value.field


def test_invoice_net_plus_vat_must_equal_gross(events: Events) -> None:
    assert _rule_of(events.invoice_issued(net="100.00", vat="21.00", gross="120.00")) == (
        "totals-inconsistent",
        "gross",
    )


def test_invoice_lines_must_add_up_to_totals(events: Events) -> None:
    good = events.invoice_issued(net="100.00", vat="21.00")
    doubled = good.model_copy(update={"lines": [*good.lines, *good.lines]})
    rule, field = _rule_of(doubled)
    assert rule == "totals-inconsistent" and field == "net"


def test_invoice_line_net_plus_vat_must_equal_line_gross(events: Events) -> None:
    good = events.invoice_issued(net="100.00", vat="21.00")
    bad_line = good.lines[0].model_copy(update={"gross": Money.of("121.01", "EUR")})
    assert _rule_of(good.model_copy(update={"lines": [bad_line]})) == (
        "totals-inconsistent",
        "lines[0].gross",
    )


def test_invoice_amount_in_other_currency_than_invoice(events: Events) -> None:
    good = events.invoice_issued()
    assert _rule_of(good.model_copy(update={"vat": Money.of("21.00", "USD")})) == ("currency-mismatch", "vat")


def test_negative_invoice_is_refused(events: Events) -> None:
    assert _rule_of(events.invoice_issued(net="-100.00", vat="0.00")) == ("amount-negative", "net")


def test_payment_allocations_plus_unapplied_must_equal_amount(events: Events) -> None:
    event = events.payment_posted("150.00", [("inv-1", "100.00")], "49.99")
    assert _rule_of(event) == ("allocation-inconsistent", "unapplied")


def test_payment_allocation_in_other_currency(events: Events) -> None:
    event = events.payment_posted("100.00", [("inv-1", "100.00")])
    usd = event.allocations[0].model_copy(update={"amount": Money.of("100.00", "USD")})
    assert _rule_of(event.model_copy(update={"allocations": [usd]})) == (
        "currency-mismatch",
        "allocations[0].amount",
    )


@pytest.mark.parametrize("amount", ["0.00", "-5.00"])
def test_payment_amount_must_be_positive(events: Events, amount: str) -> None:
    assert _rule_of(events.payment_posted(amount, [], amount)) == ("amount-not-positive", "amount")


def test_negative_allocation_is_refused(events: Events) -> None:
    event = events.payment_posted("100.00", [("inv-1", "110.00"), ("inv-2", "-10.00")])
    assert _rule_of(event) == ("amount-not-positive", "allocations[1].amount")


def test_credit_note_applied_plus_unapplied_must_equal_gross(events: Events) -> None:
    event = events.credit_note_issued(net="50.00", vat="10.50", applied="40.00", unapplied="20.00")
    assert _rule_of(event) == ("totals-inconsistent", "applied")


def test_credit_note_net_plus_vat_must_equal_gross(events: Events) -> None:
    event = events.credit_note_issued(net="50.00", vat="10.50", gross="60.00", applied="60.00")
    assert _rule_of(event) == ("totals-inconsistent", "gross")


@pytest.mark.parametrize(
    "make",
    [
        lambda e: e.payment_allocated("0.00"),
        lambda e: e.payment_unallocated("-1.00"),
        lambda e: e.invoice_written_off("0.00"),
        lambda e: e.refund_issued("0.00"),
        lambda e: e.supplier_payment_made("-3.00"),
    ],
)
def test_single_amount_events_need_a_positive_amount(
    events: Events, make: Callable[[Events], EventModel]
) -> None:
    assert _rule_of(make(events)) == ("amount-not-positive", "amount")


def test_supplier_bill_lines_must_add_up(events: Events) -> None:
    event = events.supplier_bill_approved(
        [events.bill_line(1, "6100", "100.00", "21.00")], net="90.00", vat="31.00"
    )
    assert _rule_of(event) == ("totals-inconsistent", "net")


def test_supplier_bill_net_plus_vat_must_equal_gross(events: Events) -> None:
    event = events.supplier_bill_approved([events.bill_line(1, "6100", "100.00", "21.00")], gross="120.00")
    assert _rule_of(event) == ("totals-inconsistent", "gross")


@pytest.mark.parametrize("account", ["4000", "61", "ABCD", "6900", "7100"])
def test_supplier_bill_line_with_invalid_expense_account(events: Events, account: str) -> None:
    event = events.supplier_bill_approved(
        [events.bill_line(1, "6100", "1.00", "0.00"), events.bill_line(2, account, "1.00", "0.00")]
    )
    assert _rule_of(event) == ("expense-account-invalid", "lines[1].expense_account")


def test_supplier_bill_line_in_other_currency(events: Events) -> None:
    event = events.supplier_bill_approved(
        [events.bill_line(1, "6100", "1.00", "0.00"), events.bill_line(2, "6100", "1.00", "0.00", "USD")],
        net="2.00",
    )
    assert _rule_of(event) == ("currency-mismatch", "lines[1].net")
