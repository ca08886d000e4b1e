"""Support reports on a hand-made data set with known answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput
from support_service.domain.reports import (
    OrderFact,
    Period,
    Ratio,
    RemedyFact,
    TicketFact,
    median,
    median_time_to_first_response,
    median_time_to_resolution,
    remedies_by_kind,
    remedy_facts,
    retention,
    sla_breach_rate,
    support_report,
    ticket_fact,
    tickets_by_root_cause,
)
from support_service.domain.tickets import Ticket

UTC = dt.UTC
H = dt.timedelta(hours=1)
MARCH = Period(dt.datetime(2026, 3, 1, tzinfo=UTC), dt.datetime(2026, 4, 1, tzinfo=UTC))


def at(day: int, hour: int = 9, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=UTC)


def fact(
    ticket_id: str,
    customer_id: str,
    opened_at: dt.datetime,
    first_response_target: dt.timedelta,
    resolution_target: dt.timedelta,
    *,
    root_cause: str | None = None,
    first_response_after: dt.timedelta | None = None,
    resolved_at: dt.datetime | None = None,
    resolved_after: dt.timedelta | None = None,
    breach_recorded: bool = False,
) -> TicketFact:
    return TicketFact(
        ticket_id=ticket_id,
        customer_id=customer_id,
        opened_at=opened_at,
        first_response_due=opened_at + first_response_target,
        resolution_due=opened_at + resolution_target,
        root_cause=root_cause,
        first_response_at=opened_at + first_response_after if first_response_after is not None else None,
        resolved_at=resolved_at or (opened_at + resolved_after if resolved_after is not None else None),
        breach_recorded=breach_recorded,
    )


TICKETS = [
    # on time: first response 1 h, resolved in 10 h
    fact("t1", "c-1", at(2), 4 * H, 24 * H, root_cause="late_delivery", first_response_after=H,
         resolved_after=10 * H),
    # first response late (9 h > 8 h) though no breach was recorded: breached
    fact("t2", "c-2", at(5), 8 * H, 72 * H, root_cause="damaged_goods", first_response_after=9 * H,
         resolved_after=30 * H),
    # resolved late (20 h > 8 h), breach recorded
    fact("t3", "c-3", at(10), H, 8 * H, root_cause="damaged_goods", first_response_after=H / 2,
         resolved_after=20 * H, breach_recorded=True),
    # still open, answered in 3 h, no root cause yet
    fact("t4", "c-1", at(20), 8 * H, 72 * H, first_response_after=3 * H),
    # opened on the first instant of the period, never answered, breach recorded
    fact("t7", "c-6", at(1, 0), H, 8 * H, root_cause="other", breach_recorded=True),
    # opened before the period, resolved in it: only counts for retention
    fact("t5", "c-4", at(25, month=2), 8 * H, 72 * H, root_cause="wrong_item", first_response_after=H,
         resolved_at=at(2, 12)),
    # opened on the first instant after the period: outside
    fact("t6", "c-5", at(1, 0, month=4), H, 8 * H, root_cause="wrong_item", breach_recorded=True),
    # two tickets of c-9 resolved in the period; it ordered between them, not after the last
    fact("t8", "c-9", at(3), 8 * H, 72 * H, root_cause="pricing_error", first_response_after=2 * H,
         resolved_at=at(3, 18)),
    fact("t9", "c-9", at(19), 8 * H, 72 * H, root_cause="pricing_error", first_response_after=4 * H,
         resolved_at=at(19, 23)),
]  # fmt: skip

ORDERS = [
    OrderFact("o1", "c-1", at(1, 8)),  # before c-1's resolution
    OrderFact("o2", "c-1", at(10, 9, month=4)),  # after the period: still counts
    OrderFact("o3", "c-2", at(6, 15)),  # exactly at the resolution: not after
    OrderFact("o4", "c-3", at(15)),
    OrderFact("o5", "c-9", at(10)),  # between c-9's resolutions
    OrderFact("o6", "c-5", at(10)),  # c-5 had no resolution in the period
]


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


REMEDIES = [
    RemedyFact("r1", "t1", "credit", at(2, 12), eur("30.00")),
    RemedyFact("r2", "t2", "credit", at(6), eur("12.50")),
    RemedyFact("r3", "t3", "credit", at(11), Money.of("20", "USD")),
    RemedyFact("r4", "t3", "reshipment", at(11)),
    RemedyFact("r5", "t2", "goodwill", at(6)),
    RemedyFact("r6", "t1", "goodwill", at(31, 23)),
    RemedyFact("r7", "t5", "credit", at(28, month=2), eur("100")),  # before the period
    RemedyFact("r8", "t6", "credit", at(1, 0, month=4), eur("100")),  # after it
]


def test_tickets_by_root_cause() -> None:
    assert tickets_by_root_cause(MARCH, TICKETS) == {
        "late_delivery": 1,
        "wrong_item": 0,  # t5 and t6 were opened outside the period
        "damaged_goods": 2,
        "missing_item": 0,
        "billing_error": 0,
        "pricing_error": 2,
        "service_quality": 0,
        "other": 1,
        "unrecorded": 1,
    }


def test_sla_breach_rate() -> None:
    # opened in March: t1 t2 t3 t4 t7 t8 t9 = 7; breached: t2 (late reply), t3, t7 = 3
    rate = sla_breach_rate(MARCH, TICKETS)
    assert (rate.part, rate.whole) == (3, 7)
    assert rate.value == Decimal("0.4286")


def test_median_time_to_first_response_of_an_even_count() -> None:
    # answered: t1 1h, t2 9h, t3 0.5h, t4 3h, t8 2h, t9 4h -> 0.5 1 2 3 4 9 -> (2 + 3) / 2
    assert median_time_to_first_response(MARCH, TICKETS) == dt.timedelta(hours=2, minutes=30)


def test_median_time_to_resolution_of_an_odd_count() -> None:
    # resolved: t1 10h, t2 30h, t3 20h, t8 9h, t9 14h -> 9 10 14 20 30
    assert median_time_to_resolution(MARCH, TICKETS) == dt.timedelta(hours=14)


def test_remedies_by_kind() -> None:
    report = remedies_by_kind(MARCH, REMEDIES)
    assert report["credit"].count == 3
    assert report["credit"].credited == {"EUR": eur("42.50"), "USD": Money.of("20", "USD")}
    assert (report["reshipment"].count, report["reshipment"].credited) == (1, {})
    assert report["goodwill"].count == 2


def test_retention() -> None:
    result = retention(MARCH, TICKETS, ORDERS)
    assert result.customers == {"c-1", "c-2", "c-3", "c-4", "c-9"}
    assert result.returned == {"c-1", "c-3"}
    assert result.ratio == Ratio(2, 5)
    assert result.ratio.value == Decimal("0.4000")


def test_breached_counts_late_work_the_periodic_check_missed() -> None:
    base = fact("t", "c", at(2), 4 * H, 24 * H)
    assert not base.breached
    assert (
        fact("t", "c", at(2), 4 * H, 24 * H, first_response_after=4 * H).breached is False
    )  # at the deadline
    assert fact("t", "c", at(2), 4 * H, 24 * H, first_response_after=5 * H).breached
    assert fact("t", "c", at(2), 4 * H, 24 * H, first_response_after=H, resolved_after=25 * H).breached
    # resolved without any agent reply: the resolution is the first response
    assert fact("t", "c", at(2), 4 * H, 24 * H, resolved_after=3 * H).breached is False
    assert fact("t", "c", at(2), 4 * H, 24 * H, resolved_after=5 * H).breached
    assert fact("t", "c", at(2), 4 * H, 24 * H, breach_recorded=True).breached


def test_full_report() -> None:
    report = support_report(MARCH, iter(TICKETS), REMEDIES, ORDERS)
    assert report.tickets_opened == 7
    assert report.sla_breach_rate == Ratio(3, 7)
    assert report.median_first_response == dt.timedelta(hours=2, minutes=30)
    assert report.median_resolution == dt.timedelta(hours=14)
    assert report.remedies["credit"].count == 3
    assert report.retention.ratio == Ratio(2, 5)


def test_empty_period() -> None:
    april = Period(at(2, month=4), at(3, month=4))
    report = support_report(april, TICKETS, REMEDIES, ORDERS)
    assert report.tickets_opened == 0
    assert report.sla_breach_rate.value is None
    assert report.median_first_response is None and report.median_resolution is None
    assert report.retention.ratio.value is None
    assert all(count == 0 for count in report.by_root_cause.values())


def test_median() -> None:
    assert median([]) is None
    assert median([H]) == H
    assert median([3 * H, H, 2 * H]) == 2 * H
    assert median([4 * H, H]) == dt.timedelta(hours=2, minutes=30)


def test_ratio_rounds_half_up() -> None:
    assert Ratio(1, 3).value == Decimal("0.3333")
    assert Ratio(2, 3).value == Decimal("0.6667")
    assert Ratio(1, 8).value == Decimal("0.1250")


def test_period_must_be_ordered_and_zoned() -> None:
    with pytest.raises(InvalidInput) as exc:
        Period(at(2), at(2))
    assert exc.value.rule == "period-empty"
    with pytest.raises(InvalidInput) as exc:
        Period(dt.datetime(2026, 3, 1), at(2))
    assert (exc.value.field, exc.value.rule) == ("start", "timezone-required")
    assert at(1, 0) in MARCH and at(1, 0, month=4) not in MARCH


def test_facts_from_a_ticket() -> None:
    ticket = Ticket()
    opened_at = at(2)
    ticket.open(
        "t-1", "c-1", channel="web", subject="s", description="", priority="urgent", opened_at=opened_at
    )
    ticket.record_sla_breaches(opened_at + 2 * H)
    ticket.reply("agent", "a-1", "hi", opened_at + 3 * H)
    ticket.record_root_cause("billing_error")
    ticket.request_credit("r-1", "inv-1", eur("5"), "x", open_amount=eur("5"), at=opened_at + 4 * H)
    ticket.record_goodwill("r-2", "sorry", at=opened_at + 4 * H)
    ticket.resolve(opened_at + 5 * H)

    fact_ = ticket_fact(ticket)
    assert fact_ == TicketFact(
        ticket_id="t-1",
        customer_id="c-1",
        opened_at=opened_at,
        first_response_due=opened_at + H,
        resolution_due=opened_at + 8 * H,
        priority="urgent",
        root_cause="billing_error",
        first_response_at=opened_at + 3 * H,
        resolved_at=opened_at + 5 * H,
        breach_recorded=True,
    )
    assert fact_.breached
    assert remedy_facts(ticket) == [
        RemedyFact("r-1", "t-1", "credit", opened_at + 4 * H, eur("5")),
        RemedyFact("r-2", "t-1", "goodwill", opened_at + 4 * H, None),
    ]
