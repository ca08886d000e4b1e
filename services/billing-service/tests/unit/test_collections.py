import datetime as dt

import pytest

from backoffice_events.catalog.billing import (
    DunningNoticeIssued,
    InvoiceIssued,
    InvoiceLine,
    InvoiceOverdue,
    InvoiceWrittenOff,
    PaymentAllocated,
)
from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput
from billing_service.domain.collections import DunningLevel, DunningPolicy, collections_due
from billing_service.domain.invoices import Invoice

DUE = dt.date(2026, 3, 31)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def invoice(gross: str = "100.00") -> Invoice:
    amount = eur(gross)
    return Invoice.issued(
        InvoiceIssued(
            invoice_id="I1",
            customer_id="C1",
            number="INV-2026-000001",
            order_id="O1",
            shipment_id="S1",
            issue_date=dt.date(2026, 3, 1),
            due_date=DUE,
            currency="EUR",
            lines=[
                InvoiceLine(
                    line_no=1,
                    sku="A",
                    quantity=1,
                    unit_price=amount,
                    vat_rate=0,
                    net=amount,
                    vat=eur("0"),
                    gross=amount,
                )
            ],
            net=amount,
            vat=eur("0"),
            gross=amount,
        )
    )


def run(
    inv: Invoice, on: str, policy: DunningPolicy | None = None, contact: str | None = None
) -> list[InvoiceOverdue | DunningNoticeIssued]:
    """One collections run at ``on``; its events are applied like the adapter would."""
    events = collections_due(inv, dt.date.fromisoformat(on), policy, contact)
    for event in events:
        inv.apply(event)
    return events


def describe(events: list[InvoiceOverdue | DunningNoticeIssued]) -> list[tuple[object, ...]]:
    return [
        ("overdue", e.as_of.isoformat())
        if isinstance(e, InvoiceOverdue)
        else (e.level, e.level_name, e.days_overdue)
        for e in events
    ]


def test_dunning_climbs_the_default_levels_as_days_pass() -> None:
    inv = invoice()
    assert run(inv, "2026-03-31") == []  # due today, not overdue
    assert describe(run(inv, "2026-04-01")) == [("overdue", "2026-04-01")]
    assert run(inv, "2026-04-06") == []  # 6 days
    assert describe(run(inv, "2026-04-07")) == [(1, "reminder", 7)]
    assert run(inv, "2026-04-07") == []  # same run again: nothing twice
    assert run(inv, "2026-04-20") == []
    assert describe(run(inv, "2026-04-21")) == [(2, "second_reminder", 21)]
    assert describe(run(inv, "2026-05-05")) == [(3, "final_notice", 35)]
    assert run(inv, "2026-06-30") == []  # no level beyond the final notice
    assert inv.overdue and inv.dunning_level == 3


def test_notice_carries_open_amount_and_contact() -> None:
    inv = invoice("100.00")
    inv.apply(PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("30.00")))
    overdue, notice = run(inv, "2026-04-08", contact="ap@c1.example")
    assert (
        isinstance(overdue, InvoiceOverdue)
        and overdue.open_amount == eur("70.00")
        and overdue.due_date == DUE
    )
    assert isinstance(notice, DunningNoticeIssued)
    assert (notice.open_amount, notice.contact, notice.as_of) == (
        eur("70.00"),
        "ap@c1.example",
        dt.date(2026, 4, 8),
    )


def test_a_missed_run_sends_only_the_highest_level_reached() -> None:
    inv = invoice()
    assert describe(run(inv, "2026-04-25")) == [("overdue", "2026-04-25"), (2, "second_reminder", 25)]
    assert run(inv, "2026-04-30") == []
    assert describe(run(inv, "2026-05-10")) == [(3, "final_notice", 40)]


def test_payment_stops_dunning() -> None:
    inv = invoice()
    run(inv, "2026-04-07")
    assert inv.dunning_level == 1
    inv.apply(PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("100.00")))
    assert run(inv, "2026-04-21") == []
    assert run(inv, "2026-05-05") == []


def test_partial_payment_does_not_stop_dunning() -> None:
    inv = invoice()
    run(inv, "2026-04-07")
    inv.apply(PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("99.99")))
    [notice] = run(inv, "2026-04-21")
    assert isinstance(notice, DunningNoticeIssued)
    assert notice.level == 2 and notice.open_amount == eur("0.01")


def test_written_off_invoices_leave_collections() -> None:
    inv = invoice()
    inv.apply(
        InvoiceWrittenOff(
            invoice_id="I1", customer_id="C1", amount=eur("100.00"), reason="x", written_off_on=DUE
        )
    )
    assert run(inv, "2026-05-30") == []


def test_custom_policy() -> None:
    policy = DunningPolicy((DunningLevel(1, "friendly_nudge", 3), DunningLevel(2, "phone_call", 10)))
    inv = invoice()
    assert describe(run(inv, "2026-04-03", policy)) == [("overdue", "2026-04-03"), (1, "friendly_nudge", 3)]
    assert describe(run(inv, "2026-04-10", policy)) == [(2, "phone_call", 10)]
    assert policy.level_reached(2) is None
    assert DunningPolicy().level_reached(34) == DunningLevel(2, "second_reminder", 21)


@pytest.mark.parametrize(
    "levels",
    [
        (),
        (DunningLevel(2, "a", 7),),
        (DunningLevel(1, "a", 0),),
        (DunningLevel(1, "a", 7), DunningLevel(2, "b", 7)),
        (DunningLevel(1, " ", 7),),
    ],
)
def test_policy_levels_must_be_numbered_named_and_increasing(levels: tuple[DunningLevel, ...]) -> None:
    with pytest.raises(InvalidInput) as caught:
        DunningPolicy(levels)
    assert caught.value.rule == "dunning-levels-invalid"
