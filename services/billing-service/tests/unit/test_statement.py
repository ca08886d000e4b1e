import datetime as dt
from collections.abc import Sequence

import pytest

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
)
from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.money import Money
from billing_service.domain.accounts import BillingAccount, open_billing_account
from billing_service.domain.cash import UnappliedCash
from billing_service.domain.credit import issue_credit_note, issue_refund, write_off
from billing_service.domain.invoices import Invoice, OpenInvoice, invoice_for_shipment
from billing_service.domain.payments import post_payment
from billing_service.domain.statement import customer_statement


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


class Books:
    """A tiny in-memory stand-in for the adapter: decides with the domain, records the events."""

    def __init__(self) -> None:
        self.account = BillingAccount.opened(open_billing_account("C1", "EUR", payment_terms_days=30))
        self.cash = UnappliedCash("C1", "EUR")
        self.invoices: dict[str, Invoice] = {}
        self.history: list[EventModel] = []

    def record(self, events: Sequence[EventModel]) -> None:
        for event in events:
            self.history.append(event)
            if isinstance(event, InvoiceIssued):
                self.invoices[event.invoice_id] = Invoice.issued(event)
                continue
            self.cash.apply(event)
            for inv in self.invoices.values():
                if (
                    isinstance(event, PaymentPosted | PaymentAllocated | PaymentUnallocated)
                    or getattr(event, "invoice_id", None) == inv.invoice_id
                ):
                    inv.apply(event)

    def open_invoices(self) -> list[OpenInvoice]:
        return [inv.as_open_invoice() for inv in self.invoices.values() if inv.status == "open"]

    def ship(self, invoice_id: str, price: str, on: str) -> None:
        shipped = OrderShipped(
            order_id="O1",
            shipment_id=f"S-{invoice_id}",
            customer_id="C1",
            currency="EUR",
            lines=[ShippedLine(line_no=1, sku="A", quantity=1, unit_price=eur(price), vat_rate=0)],
            carrier="dhl",
            shipped_at=dt.datetime.combine(d(on), dt.time(9), tzinfo=dt.UTC),
        )
        issued = invoice_for_shipment(
            shipped, self.account, invoice_id, f"INV-2026-{invoice_id[1:].zfill(6)}", d(on)
        )
        assert issued is not None
        self.record([issued])
        self.record(self.cash.apply_to(self.open_invoices(), d(on)))

    def pay(self, payment_id: str, amount: str, on: str) -> None:
        self.record(
            post_payment(
                self.account, payment_id, eur(amount), d(on), f"B-{payment_id}", self.open_invoices()
            )
        )


@pytest.fixture
def books() -> Books:
    b = Books()
    b.ship("I4", "10.00", "2026-01-05")  # due 02-04, written off later
    b.ship("I1", "100.00", "2026-01-10")  # due 02-09
    b.ship("I2", "200.00", "2026-02-01")  # due 03-03
    b.pay("P1", "150.00", "2026-02-15")  # I4 10, I1 100, I2 40
    b.record(
        issue_credit_note(
            b.invoices["I2"], None, "damaged", "K1", "CN-2026-000001", d("2026-02-20"), amount=eur("30.00")
        )
    )
    b.pay("P2", "160.00", "2026-03-01")  # I2 130, 30 unapplied
    b.ship("I3", "50.00", "2026-03-10")  # 30 of P2 applied automatically, 20 open
    b.pay("P3", "40.00", "2026-03-20")  # I3 20, 20 unapplied
    b.record([issue_refund(b.cash, "R1", eur("20.00"), d("2026-03-25"))])
    b.ship("I5", "80.00", "2026-03-26")
    b.record([write_off(b.invoices["I5"], "disputed, settled off-book", d("2026-03-28"))])
    return b


def identity(history: list[EventModel], as_of: dt.date) -> Money:
    """balance = invoiced - paid - credited - written off + refunded, counting facts up to as_of."""
    total = eur("0")
    for e in history:
        if isinstance(e, InvoiceIssued) and e.issue_date <= as_of:
            total += e.gross
        elif isinstance(e, PaymentPosted) and e.received_on <= as_of:
            total -= e.amount
        elif isinstance(e, CreditNoteIssued) and e.issue_date <= as_of:
            total -= e.gross
        elif isinstance(e, InvoiceWrittenOff) and e.written_off_on <= as_of:
            total -= e.amount
        elif isinstance(e, RefundIssued) and e.refunded_on <= as_of:
            total += e.amount
    return total


@pytest.mark.parametrize(
    ("as_of", "open_items", "unapplied", "balance"),
    [
        ("2026-01-31", [("I4", "10.00", 0), ("I1", "100.00", 0)], "0", "110.00"),
        ("2026-02-15", [("I2", "160.00", 0)], "0", "160.00"),
        ("2026-02-20", [("I2", "130.00", 0)], "0", "130.00"),
        ("2026-03-05", [], "30.00", "-30.00"),
        ("2026-03-10", [("I3", "20.00", 0)], "0", "20.00"),
        ("2026-03-22", [], "20.00", "-20.00"),
        ("2026-03-31", [], "0", "0"),
    ],
)
def test_statement_at_past_dates(
    books: Books, as_of: str, open_items: list[tuple[str, str, int]], unapplied: str, balance: str
) -> None:
    on = d(as_of)
    statement = customer_statement("C1", "EUR", on, reversed(books.history))  # order does not matter
    assert [(i.invoice_id, i.open_amount, i.days_overdue) for i in statement.open_items] == [
        (invoice_id, eur(amount), days) for invoice_id, amount, days in open_items
    ]
    assert statement.unapplied_cash == eur(unapplied)
    assert statement.balance == eur(balance)
    assert statement.balance == identity(books.history, on)


def test_statement_lists_activity_and_ages_open_items(books: Books) -> None:
    statement = customer_statement("C1", "EUR", d("2026-02-19"), books.history)
    [item] = statement.open_items
    assert (item.number, item.gross, item.open_amount, item.due_date, item.days_overdue) == (
        "INV-2026-000002",
        eur("200.00"),
        eur("160.00"),
        d("2026-03-03"),
        0,
    )
    late = customer_statement("C1", "EUR", d("2026-01-31") + dt.timedelta(days=10), books.history)
    assert [(i.invoice_id, i.days_overdue) for i in late.open_items] == [("I4", 6), ("I1", 1), ("I2", 0)]
    assert [p.payment_id for p in statement.payments] == ["P1"]


def test_statement_period_limits_the_activity_lists_not_the_balance(books: Books) -> None:
    statement = customer_statement("C1", "EUR", d("2026-03-31"), books.history, period_start=d("2026-03-01"))
    assert [(p.payment_id, p.amount) for p in statement.payments] == [
        ("P2", eur("160.00")),
        ("P3", eur("40.00")),
    ]
    assert statement.credits == ()
    assert [(r.refund_id, r.amount) for r in statement.refunds] == [("R1", eur("20.00"))]
    full = customer_statement("C1", "EUR", d("2026-03-31"), books.history)
    assert [(c.credit_note_id, c.invoice_id, c.gross) for c in full.credits] == [("K1", "I2", eur("30.00"))]
    assert full.balance == statement.balance


def test_statement_ignores_other_customers(books: Books) -> None:
    other = PaymentPosted(
        payment_id="PX",
        customer_id="C2",
        amount=eur("5"),
        received_on=d("2026-01-01"),
        bank_transaction_id="BX",
        allocations=[],
        unapplied=eur("5"),
    )
    statement = customer_statement("C1", "EUR", d("2026-03-31"), [*books.history, other])
    assert statement.unapplied_cash.is_zero
    assert "PX" not in [p.payment_id for p in statement.payments]
