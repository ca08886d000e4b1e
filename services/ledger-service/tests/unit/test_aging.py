from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from ledger_service.domain.accounts import PartyKind
from ledger_service.domain.aging import AgingBucket, AgingBuckets, aging, bucket_for
from ledger_service.domain.open_items import ItemKind, Movement, OpenItem, OpenItemKey, apply_to_open_items

if TYPE_CHECKING:
    from conftest import Events

AS_OF = dt.date(2026, 6, 30)
C = PartyKind.CUSTOMER


def invoice(
    item_id: str,
    due_date: dt.date,
    amount: str = "100.00",
    *,
    customer: str = "cust-1",
    currency: str = "EUR",
    issued_on: dt.date = dt.date(2026, 1, 1),
    settled: tuple[tuple[dt.date, str], ...] = (),
) -> OpenItem:
    issue = Movement(on=issued_on, amount=Decimal(amount), event_id=f"{item_id}-i", reason="issued")
    payments = [
        Movement(on=on, amount=-Decimal(a), event_id=f"{item_id}-p{n}", reason="payment")
        for n, (on, a) in enumerate(settled)
    ]
    movements = (issue, *payments)
    return OpenItem(
        kind=ItemKind.INVOICE,
        item_id=item_id,
        party_id=customer,
        currency=currency,
        issued_on=issued_on,
        due_date=due_date,
        movements=movements,
    )


def days_before(as_of: dt.date, days: int) -> dt.date:
    return as_of - dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("days", "bucket"),
    [
        (-10, AgingBucket.CURRENT),
        (0, AgingBucket.CURRENT),
        (1, AgingBucket.DAYS_1_30),
        (30, AgingBucket.DAYS_1_30),
        (31, AgingBucket.DAYS_31_60),
        (60, AgingBucket.DAYS_31_60),
        (61, AgingBucket.DAYS_61_90),
        (90, AgingBucket.DAYS_61_90),
        (91, AgingBucket.OVER_90),
        (400, AgingBucket.OVER_90),
    ],
)
def test_bucket_boundaries(days: int, bucket: AgingBucket) -> None:
    assert bucket_for(days) is bucket
    report = aging([invoice("i", days_before(AS_OF, days))], AS_OF)
    assert [(a.bucket, a.days_past_due) for a in report.items] == [(bucket, max(days, 0))]
    assert report.for_party(C, "cust-1", "EUR").amount(bucket) == Decimal("100.00")


def test_every_boundary_in_one_report() -> None:
    items = [invoice(f"i{d}", days_before(AS_OF, d), str(d + 1000)) for d in (0, 1, 30, 31, 60, 61, 90, 91)]
    buckets = aging(items, AS_OF).for_party(C, "cust-1", "EUR")
    assert buckets == AgingBuckets(
        current=Decimal(1000),
        days_1_30=Decimal(1001 + 1030),
        days_31_60=Decimal(1031 + 1060),
        days_61_90=Decimal(1061 + 1090),
        over_90=Decimal(1091),
    )
    assert buckets.total == sum(Decimal(d + 1000) for d in (0, 1, 30, 31, 60, 61, 90, 91))


def test_same_items_at_two_dates() -> None:
    due = dt.date(2026, 3, 31)
    items = [
        invoice("a", due, "100.00", settled=((dt.date(2026, 5, 15), "40.00"),)),
        invoice("b", dt.date(2026, 5, 31), "50.00", issued_on=dt.date(2026, 5, 1)),
    ]
    april = aging(items, dt.date(2026, 4, 15))  # a is 15 days late, b not issued yet
    assert april.for_party(C, "cust-1", "EUR") == AgingBuckets(days_1_30=Decimal("100.00"))
    assert [a.key[1] for a in april.items] == ["a"]

    june = aging(items, dt.date(2026, 6, 1))  # a is 62 days late and part-paid; b 1 day late
    assert june.for_party(C, "cust-1", "EUR") == AgingBuckets(
        days_1_30=Decimal("50.00"), days_61_90=Decimal("60.00")
    )


def test_settled_items_and_placeholders_are_left_out() -> None:
    paid = invoice("paid", dt.date(2026, 2, 1), settled=((dt.date(2026, 2, 1), "100.00"),))
    placeholder = OpenItem(
        kind=ItemKind.INVOICE,
        item_id="unseen",
        party_id="cust-1",
        currency="EUR",
        movements=(Movement(on=dt.date(2026, 1, 5), amount=Decimal("-5"), event_id="p", reason="payment"),),
    )
    report = aging([paid, placeholder], AS_OF)
    assert report.items == () and report.parties == () and report.totals == ()
    # ...but before the payment the paid invoice was open and overdue.
    assert aging([paid], dt.date(2026, 1, 31)).total(C, "EUR").current == Decimal("100.00")


def test_per_party_and_totals_are_per_currency_and_side(events: Events) -> None:
    items: dict[OpenItemKey, OpenItem] = {}
    for event_id, event in [
        ("e1", events.invoice_issued("inv-1", "cust-1", due_date=dt.date(2026, 6, 20))),
        ("e2", events.invoice_issued("inv-2", "cust-2", due_date=dt.date(2026, 7, 10))),
        ("e3", events.invoice_issued("inv-3", "cust-2", net="1000", vat="0", currency="JPY")),
        ("e4", events.supplier_bill_approved([events.bill_line(1, "6100", "80.00", "0.00")])),
    ]:
        items = apply_to_open_items(items, event, event_id, AS_OF)
    report = aging(items.values(), AS_OF)

    assert report.for_party(C, "cust-1", "EUR") == AgingBuckets(days_1_30=Decimal("121.00"))
    assert report.for_party(C, "cust-2", "EUR") == AgingBuckets(current=Decimal("121.00"))
    assert report.for_party(C, "cust-2", "JPY") == AgingBuckets(over_90=Decimal("1000"))
    assert report.total(C, "EUR") == AgingBuckets(current=Decimal("121.00"), days_1_30=Decimal("121.00"))
    assert report.total(C, "JPY").total == Decimal("1000")
    # Payables are aged apart from receivables.
    assert report.total(PartyKind.SUPPLIER, "EUR") == AgingBuckets(over_90=Decimal("80.00"))
    assert report.for_party(C, "nobody", "EUR") == AgingBuckets()
    assert [(r.party_kind, r.party_id, r.currency) for r in report.parties] == [
        (C, "cust-1", "EUR"),
        (C, "cust-2", "EUR"),
        (C, "cust-2", "JPY"),
        (PartyKind.SUPPLIER, "sup-1", "EUR"),
    ]
