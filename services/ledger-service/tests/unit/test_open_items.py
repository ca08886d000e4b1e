from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from backoffice_events.catalog.base import EventModel
from ledger_service.domain.accounts import PartyKind
from ledger_service.domain.errors import PostingError
from ledger_service.domain.open_items import (
    ItemKind,
    OpenItem,
    OpenItemKey,
    apply_to_open_items,
    open_amounts_by_party,
    open_item_changes,
    open_item_keys,
)

if TYPE_CHECKING:
    from conftest import Events

OCCURRED = dt.date(2026, 1, 22)
INV1: OpenItemKey = (ItemKind.INVOICE, "inv-1")
INV2: OpenItemKey = (ItemKind.INVOICE, "inv-2")
BILL1: OpenItemKey = (ItemKind.SUPPLIER_BILL, "bill-1")


def replay(*events: tuple[str, EventModel]) -> dict[OpenItemKey, OpenItem]:
    items: dict[OpenItemKey, OpenItem] = {}
    for event_id, event in events:
        items = apply_to_open_items(items, event, event_id, OCCURRED)
    return items


def test_invoice_issued_opens_an_item_for_its_gross(events: Events) -> None:
    items = replay(("e1", events.invoice_issued()))
    item = items[INV1]
    assert (item.party_kind, item.party_id, item.currency) == (PartyKind.CUSTOMER, "cust-1", "EUR")
    assert (item.issued_on, item.due_date, item.reference) == (
        dt.date(2026, 1, 10),
        dt.date(2026, 2, 9),
        "INV-2026-inv-1",
    )
    assert item.open_amount() == Decimal("121.00")


def test_settlements_reduce_the_item_on_their_own_dates(events: Events) -> None:
    items = replay(
        ("e1", events.invoice_issued()),
        ("e2", events.payment_posted("50.00", [("inv-1", "50.00")])),  # received 2026-01-20
        ("e3", events.payment_allocated("10.00")),  # occurred 2026-01-22
        ("e4", events.payment_unallocated("5.00")),  # occurred 2026-01-22
        ("e5", events.credit_note_issued(net="10.00", vat="2.10", applied="12.10")),  # 2026-01-25
        ("e6", events.invoice_written_off("53.90")),  # 2026-06-30
    )
    item = items[INV1]
    assert item.open_amount(dt.date(2026, 1, 9)) == 0
    assert item.open_amount(dt.date(2026, 1, 10)) == Decimal("121.00")
    assert item.open_amount(dt.date(2026, 1, 20)) == Decimal("71.00")
    assert item.open_amount(dt.date(2026, 1, 22)) == Decimal("66.00")
    assert item.open_amount(dt.date(2026, 1, 25)) == Decimal("53.90")
    assert item.open_amount(dt.date(2026, 6, 30)) == 0
    assert [m.reason for m in item.movements] == [
        "issued",
        "payment",
        "payment",
        "unallocated",
        "credit-note",
        "write-off",
    ]


def test_credit_note_surplus_does_not_touch_the_invoice(events: Events) -> None:
    items = replay(
        ("e1", events.invoice_issued()),
        ("e2", events.credit_note_issued(net="10.00", vat="2.10", applied="0.00", unapplied="12.10")),
    )
    assert items[INV1].open_amount() == Decimal("121.00")


def test_payment_touches_each_allocated_invoice(events: Events) -> None:
    items = replay(
        ("e1", events.invoice_issued("inv-1")),
        ("e2", events.invoice_issued("inv-2")),
        ("e3", events.payment_posted("200.00", [("inv-1", "121.00"), ("inv-2", "79.00")])),
    )
    assert items[INV1].open_amount() == 0
    assert items[INV2].open_amount() == Decimal("42.00")


def test_supplier_bill_is_open_from_approval_until_paid(events: Events) -> None:
    items = replay(
        ("e1", events.supplier_bill_approved([events.bill_line(1, "6100", "100.00", "21.00")])),
        ("e2", events.supplier_payment_made("100.00")),
    )
    bill = items[BILL1]
    assert (bill.party_kind, bill.party_id, bill.issued_on) == (
        PartyKind.SUPPLIER,
        "sup-1",
        dt.date(2026, 1, 15),
    )
    assert bill.open_amount(dt.date(2026, 2, 9)) == Decimal("121.00")
    assert bill.open_amount() == Decimal("21.00")


def test_payment_before_its_invoice_keeps_a_placeholder_then_fills_it(events: Events) -> None:
    # Different aggregates, different partitions: the payment may be read first.
    items = replay(("e2", events.payment_posted("21.00", [("inv-1", "21.00")])))
    placeholder = items[INV1]
    assert placeholder.issued_on is None and placeholder.open_amount() == Decimal("-21.00")
    assert not placeholder.is_issued_by(dt.date(2030, 1, 1))

    items = apply_to_open_items(items, events.invoice_issued(), "e1", OCCURRED)
    assert items[INV1].issued_on == dt.date(2026, 1, 10)
    assert items[INV1].open_amount() == Decimal("100.00")


def test_redelivered_events_change_nothing(events: Events) -> None:
    items = replay(
        ("e1", events.invoice_issued()),
        ("e2", events.payment_posted("50.00", [("inv-1", "30.00"), ("inv-1", "20.00")])),
    )
    assert items[INV1].open_amount() == Decimal("71.00")
    assert open_item_changes(items, events.invoice_issued(), "e1", OCCURRED) == []
    payment = events.payment_posted("50.00", [("inv-1", "30.00"), ("inv-1", "20.00")])
    assert open_item_changes(items, payment, "e2", OCCURRED) == []


def test_second_issue_of_same_invoice_is_refused(events: Events) -> None:
    items = replay(("e1", events.invoice_issued()))
    with pytest.raises(PostingError) as caught:
        apply_to_open_items(items, events.invoice_issued(), "e9", OCCURRED)
    assert caught.value.rule == "open-item-already-issued"


def test_settlement_for_another_customer_is_refused(events: Events) -> None:
    items = replay(("e1", events.invoice_issued()))
    with pytest.raises(PostingError) as caught:
        apply_to_open_items(items, events.payment_allocated("1.00", customer_id="cust-2"), "e2", OCCURRED)
    assert caught.value.rule == "open-item-mismatch"


def test_reducer_is_pure(events: Events) -> None:
    before = replay(("e1", events.invoice_issued()))
    snapshot = dict(before)
    after = apply_to_open_items(before, events.payment_allocated("21.00"), "e2", OCCURRED)
    assert before == snapshot
    assert after[INV1].open_amount() == Decimal("100.00")


def test_events_without_items_change_nothing(events: Events) -> None:
    items = replay(("e1", events.invoice_issued()))
    assert open_item_changes(items, events.refund_issued("5.00"), "e2", OCCURRED) == []
    assert open_item_keys(events.refund_issued("5.00")) == []


def test_open_item_keys_name_what_an_event_touches(events: Events) -> None:
    assert open_item_keys(events.invoice_issued()) == [INV1]
    assert open_item_keys(
        events.payment_posted("3.00", [("inv-1", "1.00"), ("inv-2", "1.00"), ("inv-1", "1.00")])
    ) == [
        INV1,
        INV2,
    ]
    assert open_item_keys(events.supplier_payment_made("1.00")) == [BILL1]


def test_open_amounts_by_party_at_a_date(events: Events) -> None:
    items = replay(
        ("e1", events.invoice_issued("inv-1")),
        ("e2", events.invoice_issued("inv-2", issue_date=dt.date(2026, 2, 1))),
        ("e3", events.supplier_bill_approved([events.bill_line(1, "6100", "10.00", "0.00")])),
    )
    assert open_amounts_by_party(items.values(), dt.date(2026, 1, 31)) == {
        (PartyKind.CUSTOMER, "cust-1", "EUR"): Decimal("121.00"),
        (PartyKind.SUPPLIER, "sup-1", "EUR"): Decimal("10.00"),
    }
    assert open_amounts_by_party(items.values())[(PartyKind.CUSTOMER, "cust-1", "EUR")] == Decimal("242.00")
