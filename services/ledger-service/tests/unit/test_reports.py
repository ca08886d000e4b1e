from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from backoffice_events.catalog.base import EventModel
from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput
from ledger_service.domain.accounts import PartyKind, Side
from ledger_service.domain.entries import JournalEntry
from ledger_service.domain.open_items import OpenItem, OpenItemKey, apply_to_open_items
from ledger_service.domain.posting import post
from ledger_service.domain.reports import (
    AccountBalance,
    EntryTotal,
    PostedLine,
    SubledgerBalance,
    account_balances,
    check_invariants,
    entry_totals,
    posted_lines,
    statement,
    subledger_balances,
    trial_balance,
)

if TYPE_CHECKING:
    from conftest import Events

OCCURRED = dt.date(2026, 1, 22)


class Books:
    """Post events through the real rules and keep entries and open items side by side."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []
        self.items: dict[OpenItemKey, OpenItem] = {}

    def take(self, event_id: str, event: EventModel) -> None:
        self.entries += post(event, event_id, OCCURRED)
        self.items = apply_to_open_items(self.items, event, event_id, OCCURRED)

    @property
    def lines(self) -> list[PostedLine]:
        return posted_lines(self.entries)


@pytest.fixture
def books(events: Events) -> Books:
    b = Books()
    b.take("e1", events.invoice_issued("inv-1", "cust-1"))  # 121.00 on 01-10
    b.take("e2", events.invoice_issued("inv-2", "cust-2", issue_date=dt.date(2026, 1, 12)))
    b.take("e3", events.payment_posted("150.00", [("inv-1", "121.00")], "29.00"))  # 01-20
    b.take("e3b", events.payment_posted("29.00", [], "29.00", payment_id="pay-2", customer_id="cust-2"))
    b.take("e4", events.payment_allocated("29.00", "inv-2", "cust-2"))  # 01-22; applied later
    b.take(
        "e5",
        events.credit_note_issued(
            net="10.00", vat="2.10", applied="12.10", invoice_id="inv-2", customer_id="cust-2"
        ),
    )  # 01-25
    b.take("e6", events.refund_issued("9.00", "cust-1"))  # 02-01
    b.take("e7", events.supplier_bill_approved([events.bill_line(1, "6100", "100.00", "21.00")]))  # 01-15
    b.take("e8", events.supplier_payment_made("100.00"))  # 02-10
    return b


def test_trial_balance_of_posted_events_nets_to_zero(books: Books) -> None:
    tb = trial_balance(account_balances(books.lines))
    assert tb.is_balanced
    assert [(t.currency, t.net) for t in tb.totals] == [("EUR", Decimal(0))]
    by_account = {row.account: row for row in tb.rows}
    assert by_account["1100"].net == Decimal("121.00") + Decimal("121.00") - Decimal("121.00") - Decimal(
        "29.00"
    ) - Decimal("12.10")
    assert by_account["1000"].net == Decimal("150.00") + Decimal("29.00") - Decimal("9.00") - Decimal(
        "100.00"
    )
    assert by_account["6100"].name == "Expense 6100"
    assert by_account["2000"].name == "Accounts payable (control)"
    assert by_account["2000"].net == Decimal("-21.00")


def test_trial_balance_adds_rows_per_account_and_flags_imbalance() -> None:
    balances = [
        AccountBalance(account="1100", currency="EUR", debit=Decimal(10), credit=Decimal(0)),
        AccountBalance(account="1100", currency="EUR", debit=Decimal(5), credit=Decimal(1)),
        AccountBalance(account="4000", currency="EUR", debit=Decimal(0), credit=Decimal(14)),
        AccountBalance(account="1000", currency="USD", debit=Decimal(3), credit=Decimal(0)),
        AccountBalance(account="3999", currency="USD", debit=Decimal(0), credit=Decimal(2)),
    ]
    tb = trial_balance(balances)
    assert [(r.currency, r.account, r.net) for r in tb.rows] == [
        ("EUR", "1100", Decimal(14)),
        ("EUR", "4000", Decimal(-14)),
        ("USD", "1000", Decimal(3)),
        ("USD", "3999", Decimal(-2)),
    ]
    assert tb.rows[-1].name == "3999"  # unknown code still shown
    assert [(t.currency, t.debit, t.credit, t.net) for t in tb.totals] == [
        ("EUR", Decimal(15), Decimal(15), Decimal(0)),
        ("USD", Decimal(3), Decimal(2), Decimal(1)),
    ]
    assert not tb.is_balanced


def test_balances_at_a_past_date(books: Books) -> None:
    jan_15 = {(b.account, b.currency): b.net for b in account_balances(books.lines, dt.date(2026, 1, 15))}
    assert jan_15[("1100", "EUR")] == Decimal("242.00")
    assert ("1000", "EUR") not in jan_15  # no cash moved yet
    assert jan_15[("2000", "EUR")] == Decimal("-121.00")
    assert trial_balance(account_balances(books.lines, dt.date(2026, 1, 15))).is_balanced


def test_subledger_balances_per_party(books: Books) -> None:
    subs = {(s.account, s.party_id): s.net for s in subledger_balances(books.lines)}
    assert subs == {
        ("1100", "cust-1"): Decimal(0),
        ("1100", "cust-2"): Decimal("79.90"),
        ("2100", "cust-1"): Decimal("-20.00"),
        ("2100", "cust-2"): Decimal(0),
        ("2000", "sup-1"): Decimal("-21.00"),
    }


def test_statement_runs_the_balance_in_date_order(books: Books) -> None:
    ar_cust2 = [line for line in books.lines if line.account == "1100" and line.party_id == "cust-2"]
    st = statement(reversed(ar_cust2), Money.of("5.00", "EUR"))
    assert [(s.posted_on, s.debit, s.credit, s.balance) for s in st.lines] == [
        (dt.date(2026, 1, 12), Decimal("121.00"), Decimal(0), Decimal("126.00")),
        (dt.date(2026, 1, 22), Decimal(0), Decimal("29.00"), Decimal("97.00")),
        (dt.date(2026, 1, 25), Decimal(0), Decimal("12.10"), Decimal("84.90")),
    ]
    assert (st.opening, st.closing, st.currency) == (Decimal("5.00"), Decimal("84.90"), "EUR")
    assert "CN-2026-000001" in st.lines[-1].description


def test_statement_of_credit_normal_account_grows_with_credits(books: Books) -> None:
    ap = [line for line in books.lines if line.account == "2000"]
    st = statement(ap, Money.zero("EUR"), normal_side=Side.CREDIT)
    assert [s.balance for s in st.lines] == [Decimal("121.00"), Decimal("21.00")]


def test_empty_statement_closes_at_opening() -> None:
    st = statement([], Money.of("7.00", "EUR"))
    assert st.lines == () and st.closing == Decimal("7.00")


def test_statement_refuses_mixed_currencies(books: Books) -> None:
    with pytest.raises(InvalidInput) as caught:
        statement(books.lines[:2], Money.zero("USD"))
    assert caught.value.rule == "currency-mismatch"


# invariants --------------------------------------------------------------------------


def test_books_built_from_events_satisfy_every_invariant(books: Books) -> None:
    for as_of in (dt.date(2026, 1, 11), dt.date(2026, 1, 21), dt.date(2026, 2, 28)):
        violations = check_invariants(
            account_balances(books.lines, as_of),
            subledger_balances(books.lines, as_of),
            entry_totals(books.entries),
            open_items=books.items.values(),
            as_of=as_of,
        )
        assert violations == [], as_of


def test_unbalanced_stored_entry_is_reported() -> None:
    totals = [
        EntryTotal(entry_id="ok", currency="EUR", debit=Decimal(5), credit=Decimal(5)),
        EntryTotal(entry_id="bad", currency="EUR", debit=Decimal("10.00"), credit=Decimal("9.00")),
    ]
    assert check_invariants([], [], totals) == [
        "entry bad is unbalanced in EUR: debits 10.00 EUR != credits 9.00 EUR"
    ]


def test_ar_control_differing_from_customer_subledgers_is_reported(books: Books) -> None:
    subs = [s for s in subledger_balances(books.lines) if s.party_id != "cust-2" or s.account != "1100"]
    violations = check_invariants(account_balances(books.lines), subs, entry_totals(books.entries))
    assert violations == [
        "AR control account 1100 in EUR nets 79.90 EUR but the customer subledgers sum to 0.00 EUR"
    ]


def test_ap_and_unapplied_control_mismatches_are_reported(books: Books) -> None:
    subs = subledger_balances(books.lines)
    subs.append(
        SubledgerBalance(
            account="2000",
            party_kind=PartyKind.SUPPLIER,
            party_id="sup-9",
            currency="EUR",
            debit=Decimal(0),
            credit=Decimal("1.00"),
        )
    )
    subs = [
        replace(s, credit=s.credit + 1) if s.account == "2100" and s.party_id == "cust-1" else s for s in subs
    ]
    violations = check_invariants(account_balances(books.lines), subs, entry_totals(books.entries))
    assert violations == [
        "AP control account 2000 in EUR nets -21.00 EUR but the supplier subledgers sum to -22.00 EUR",
        "unapplied cash control account 2100 in EUR nets -20.00 EUR but the customer subledgers sum to"
        " -21.00 EUR",
    ]


def test_trial_balance_not_zero_is_reported(books: Books) -> None:
    balances = account_balances(books.lines)
    balances.append(AccountBalance(account="4000", currency="EUR", debit=Decimal("0.50"), credit=Decimal(0)))
    violations = check_invariants(balances, subledger_balances(books.lines), entry_totals(books.entries))
    assert violations == ["trial balance in EUR does not net to zero: off by 0.50 EUR"]


def test_ar_differing_from_open_invoices_is_reported(books: Books, events: Events) -> None:
    # The ledger missed a payment the open items saw.
    items = apply_to_open_items(
        books.items, events.payment_allocated("9.90", "inv-2", "cust-2"), "e99", OCCURRED
    )
    violations = check_invariants(
        account_balances(books.lines),
        subledger_balances(books.lines),
        entry_totals(books.entries),
        open_items=items.values(),
    )
    assert violations == [
        "AR of customer cust-2 in EUR is 79.90 EUR but their open invoices amount to 70.00 EUR"
    ]


def test_ap_differing_from_open_bills_is_reported(books: Books) -> None:
    items = {k: v for k, v in books.items.items() if k[0] != "supplier_bill"}
    violations = check_invariants(
        account_balances(books.lines),
        subledger_balances(books.lines),
        entry_totals(books.entries),
        open_items=items.values(),
    )
    assert violations == ["AP of supplier sup-1 in EUR is 21.00 EUR but their open bills amount to 0.00 EUR"]
