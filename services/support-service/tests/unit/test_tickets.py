"""The Ticket aggregate: its rules, refusals and rebuilding from events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from backoffice_events.catalog.support import (
    CreditRemedyRequested,
    GoodwillNoteRecorded,
    RemedyOutcome,
    ReshipmentRemedyRequested,
    RootCauseRecorded,
    SatisfactionRated,
    TicketAssigned,
    TicketClosed,
    TicketNoteAdded,
    TicketOpened,
    TicketReopened,
    TicketReplied,
    TicketResolved,
)
from backoffice_events.money import Money
from backoffice_platform.errors import Conflict, DomainError, InvalidInput, NotFound
from support_service.domain.sla import SlaPolicy
from support_service.domain.tickets import ROOT_CAUSES, Ticket, TicketEvent

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def opened(priority: str = "normal", **kwargs: object) -> Ticket:
    ticket = Ticket()
    args: dict[str, object] = {
        "channel": "email",
        "subject": "Parcel arrived broken",
        "description": "The vase is in pieces.",
        "priority": priority,
        "opened_at": T0,
        "order_id": "o-1",
    }
    args.update(kwargs)
    ticket.open("t-1", "c-1", **args)  # type: ignore[arg-type]
    return ticket


def resolved(at: dt.datetime = T0 + 2 * HOUR) -> Ticket:
    ticket = opened()
    ticket.record_root_cause("damaged_goods")
    ticket.resolve(at, "credited the vase")
    return ticket


def assert_rule(exc: pytest.ExceptionInfo[Exception], rule: str, field: str | None = None) -> None:
    error = exc.value
    assert isinstance(error, DomainError)
    assert error.rule == rule
    if field is not None:
        assert error.field == field


# opening -------------------------------------------------------------------------


def test_open_sets_deadlines_from_the_policy() -> None:
    ticket = Ticket()
    events = ticket.open(
        "t-1",
        "c-1",
        channel="phone",
        subject="Where is my order?",
        description="",
        priority="urgent",
        opened_at=T0,
        invoice_id="inv-9",
    )
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, TicketOpened)
    assert event.first_response_due == T0 + HOUR
    assert event.resolution_due == T0 + 8 * HOUR
    assert event.invoice_id == "inv-9" and event.order_id is None
    assert ticket.version == 1 and ticket.status == "open"


def test_open_uses_a_configured_policy() -> None:
    policy = SlaPolicy.from_hours({"low": (48, 240)})
    ticket = opened("low", policy=policy)
    assert ticket.first_response_due == T0 + 48 * HOUR
    assert ticket.resolution_due == T0 + 240 * HOUR


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("priority", "critical", "unknown-priority"),
        ("subject", "  ", "required"),
        ("channel", "", "required"),
        ("opened_at", dt.datetime(2026, 3, 2, 9, 0), "timezone-required"),
    ],
)
def test_open_refuses_bad_input(field: str, value: object, rule: str) -> None:
    kwargs: dict[str, Any] = {field: value}
    with pytest.raises(InvalidInput) as exc:
        opened(**kwargs)
    assert_rule(exc, rule, field)


def test_open_twice_is_a_conflict() -> None:
    ticket = opened()
    with pytest.raises(Conflict) as exc:
        ticket.open(
            "t-1", "c-1", channel="email", subject="again", description="", priority="low", opened_at=T0
        )
    assert_rule(exc, "ticket-exists")


def test_commands_on_a_ticket_never_opened_are_not_found() -> None:
    with pytest.raises(NotFound) as exc:
        Ticket().assign("a-1")
    assert_rule(exc, "unknown-ticket")


# assigning, replying, notes ------------------------------------------------------


def test_assign_and_reassign() -> None:
    ticket = opened()
    assert ticket.assign("a-1") == [TicketAssigned(ticket_id="t-1", customer_id="c-1", agent_id="a-1")]
    assert ticket.assign("a-1") == []  # same agent again changes nothing
    assert len(ticket.assign("a-2")) == 1
    assert ticket.assignee_id == "a-2"


def test_first_agent_reply_is_the_first_response() -> None:
    ticket = opened()
    (customer,) = ticket.reply("customer", "c-1", "Any news?", T0 + HOUR)
    assert isinstance(customer, TicketReplied) and customer.first_response is False
    assert ticket.first_responded_at is None

    (first,) = ticket.reply("agent", "a-1", "Sorry, we are on it.", T0 + 2 * HOUR)
    assert isinstance(first, TicketReplied) and first.first_response is True
    assert ticket.first_responded_at == T0 + 2 * HOUR
    assert ticket.first_response_met is True  # normal: 8 h

    (second,) = ticket.reply("agent", "a-1", "Credit issued.", T0 + 3 * HOUR)
    assert isinstance(second, TicketReplied) and second.first_response is False
    assert ticket.first_responded_at == T0 + 2 * HOUR


def test_a_late_first_reply_does_not_meet_the_sla() -> None:
    ticket = opened("urgent")
    ticket.reply("agent", "a-1", "Hello", T0 + HOUR + dt.timedelta(seconds=1))
    assert ticket.first_response_met is False


@pytest.mark.parametrize(
    ("args", "field", "rule"),
    [
        (("bot", "x", "hi", T0), "author", "unknown-author"),
        (("agent", "", "hi", T0), "author_id", "required"),
        (("agent", "a-1", " ", T0), "body", "required"),
        (("agent", "a-1", "hi", T0 - HOUR), "at", "before-opened"),
        (("agent", "a-1", "hi", dt.datetime(2026, 3, 3)), "at", "timezone-required"),
    ],
)
def test_reply_refuses_bad_input(args: tuple[str, str, str, dt.datetime], field: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        opened().reply(*args)
    assert_rule(exc, rule, field)


def test_notes_are_internal_and_allowed_until_closed() -> None:
    ticket = resolved()
    (note,) = ticket.add_note("a-1", "customer was friendly")
    assert isinstance(note, TicketNoteAdded)
    ticket.close(T0 + DAY)
    with pytest.raises(DomainError) as exc:
        ticket.add_note("a-1", "too late")
    assert_rule(exc, "ticket-closed")


def test_work_on_a_resolved_ticket_needs_a_reopen() -> None:
    ticket = resolved()
    commands: list[Callable[[], object]] = [
        lambda: ticket.assign("a-9"),
        lambda: ticket.reply("customer", "c-1", "still broken", T0 + DAY),
        lambda: ticket.record_root_cause("other"),
        lambda: ticket.record_goodwill("r-1", "sorry", at=T0 + DAY),
    ]
    for command in commands:
        with pytest.raises(DomainError) as exc:
            command()
        assert_rule(exc, "ticket-not-open")


# root cause ------------------------------------------------------------------------


@pytest.mark.parametrize("cause", ROOT_CAUSES)
def test_every_root_cause_of_the_taxonomy_is_accepted(cause: str) -> None:
    ticket = opened()
    (event,) = ticket.record_root_cause(cause, "seen on the photo")
    assert event == RootCauseRecorded(
        ticket_id="t-1", customer_id="c-1", root_cause=cause, notes="seen on the photo"
    )
    assert ticket.root_cause == cause


@pytest.mark.parametrize("cause", ["bad_luck", "", "Late_Delivery"])
def test_unknown_root_cause_is_refused(cause: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        opened().record_root_cause(cause)
    assert_rule(exc, "unknown-root-cause", "root_cause")


def test_root_cause_can_be_corrected_while_open() -> None:
    ticket = opened()
    ticket.record_root_cause("late_delivery")
    ticket.record_root_cause("missing_item")
    assert ticket.root_cause == "missing_item"


# remedies --------------------------------------------------------------------------


def test_credit_within_the_open_amount_is_requested() -> None:
    ticket = opened()
    (event,) = ticket.request_credit(
        "r-1",
        "inv-1",
        Money.of("30.00", "EUR"),
        "broken vase",
        open_amount=Money.of("30.00", "EUR"),
        at=T0 + HOUR,
    )
    assert isinstance(event, CreditRemedyRequested)
    assert event.amount == Money.of("30", "EUR") and event.requested_at == T0 + HOUR
    remedy = ticket.remedy("r-1")
    assert (remedy.kind, remedy.status, remedy.invoice_id, remedy.credit_note_id) == (
        "credit",
        "requested",
        "inv-1",
        None,
    )


@pytest.mark.parametrize(
    ("amount", "open_amount", "field", "rule"),
    [
        (Money.of("30.01", "EUR"), Money.of("30.00", "EUR"), "amount", "credit-exceeds-open-amount"),
        (Money.of("0", "EUR"), Money.of("30.00", "EUR"), "amount", "amount-not-positive"),
        (Money.of("-5", "EUR"), Money.of("30.00", "EUR"), "amount", "amount-not-positive"),
        (Money.of("5", "USD"), Money.of("30.00", "EUR"), "amount.currency", "currency-mismatch"),
        (Money.of("5", "EUR"), Money.of("0", "EUR"), "amount", "credit-exceeds-open-amount"),
    ],
)
def test_credit_refusals(amount: Money, open_amount: Money, field: str, rule: str) -> None:
    ticket = opened()
    with pytest.raises(InvalidInput) as exc:
        ticket.request_credit("r-1", "inv-1", amount, "reason", open_amount=open_amount, at=T0)
    assert_rule(exc, rule, field)
    assert ticket.remedies == [] and ticket.version == 1


def test_credit_with_too_many_decimals_is_refused() -> None:
    amount = Money(Decimal("1.001"), "EUR")  # the constructor does not check the scale
    with pytest.raises(InvalidInput) as exc:
        opened().request_credit("r-1", "inv-1", amount, "r", open_amount=Money.of("10", "EUR"), at=T0)
    assert_rule(exc, "too-many-decimals", "amount")


def test_pending_credits_on_the_same_invoice_count_against_the_open_amount() -> None:
    ticket = opened()
    open_amount = Money.of("50.00", "EUR")
    ticket.request_credit("r-1", "inv-1", Money.of("30", "EUR"), "a", open_amount=open_amount, at=T0)
    with pytest.raises(InvalidInput) as exc:
        ticket.request_credit("r-2", "inv-1", Money.of("20.01", "EUR"), "b", open_amount=open_amount, at=T0)
    assert_rule(exc, "credit-exceeds-open-amount")
    # another invoice is unaffected, and the exact rest is fine
    ticket.request_credit("r-3", "inv-2", Money.of("40", "EUR"), "c", open_amount=open_amount, at=T0)
    ticket.request_credit("r-4", "inv-1", Money.of("20", "EUR"), "d", open_amount=open_amount, at=T0)
    # once billing issued r-1 the projection's open amount reflects it: it no longer counts twice
    ticket.record_remedy_outcome("r-1", "credit", "cn-1")
    ticket.record_remedy_outcome("r-4", "credit", "cn-2")
    ticket.request_credit("r-5", "inv-1", Money.of("5", "EUR"), "e", open_amount=Money.of("5", "EUR"), at=T0)


def test_duplicate_remedy_id_is_a_conflict() -> None:
    ticket = opened()
    ticket.record_goodwill("r-1", "apology", at=T0)
    with pytest.raises(Conflict) as exc:
        ticket.request_reshipment("r-1", "o-1", [(1, "VASE", 1)], at=T0)
    assert_rule(exc, "duplicate-remedy", "remedy_id")


def test_reshipment_is_requested_with_lines() -> None:
    ticket = opened()
    (event,) = ticket.request_reshipment("r-1", "o-1", [(1, "VASE", 1), (3, "MUG", 2)], at=T0 + HOUR)
    assert isinstance(event, ReshipmentRemedyRequested)
    assert [(line.line_no, line.sku, line.quantity) for line in event.lines] == [
        (1, "VASE", 1),
        (3, "MUG", 2),
    ]
    assert ticket.remedy("r-1").status == "requested"


@pytest.mark.parametrize(
    ("lines", "field", "rule"),
    [
        ([], "lines", "lines-required"),
        ([(1, "VASE", 0)], "lines[0].quantity", "quantity-not-positive"),
        ([(1, "VASE", 1), (2, "MUG", -1)], "lines[1].quantity", "quantity-not-positive"),
        ([(0, "VASE", 1)], "lines[0].line_no", "line-no-not-positive"),
        ([(1, "VASE", 1), (1, "VASE", 1)], "lines[1].line_no", "duplicate-line"),
        ([(1, "", 1)], "lines[0].sku", "required"),
    ],
)
def test_reshipment_refusals(lines: list[tuple[int, str, int]], field: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        opened().request_reshipment("r-1", "o-1", lines, at=T0)
    assert_rule(exc, rule, field)


def test_goodwill_note_is_fulfilled_at_once() -> None:
    ticket = opened()
    (event,) = ticket.record_goodwill("r-1", "10 % voucher SORRY10", at=T0)
    assert isinstance(event, GoodwillNoteRecorded)
    assert ticket.remedy("r-1").status == "fulfilled"
    with pytest.raises(InvalidInput) as exc:
        ticket.record_goodwill("r-2", " ", at=T0)
    assert_rule(exc, "required", "note")


def test_remedy_outcomes_fulfil_credits_and_reshipments() -> None:
    ticket = opened()
    ticket.request_credit(
        "r-1", "inv-1", Money.of("10", "EUR"), "x", open_amount=Money.of("10", "EUR"), at=T0
    )
    ticket.request_reshipment("r-2", "o-1", [(1, "VASE", 1)], at=T0)
    version = ticket.version

    credit = ticket.record_remedy_outcome("r-1", "credit", "cn-7")
    shipment = ticket.record_remedy_outcome("r-2", "reshipment", "sh-3")

    assert (credit.status, credit.credit_note_id, credit.shipment_id) == ("fulfilled", "cn-7", None)
    assert (shipment.status, shipment.shipment_id) == ("fulfilled", "sh-3")
    assert [r.status for r in ticket.remedies] == ["fulfilled", "fulfilled"]
    assert ticket.version == version  # state only, no event
    # the same outcome again (a redelivered event) changes nothing
    assert ticket.record_remedy_outcome("r-1", "credit", "cn-7") == credit


def test_remedy_outcome_refusals() -> None:
    ticket = opened()
    ticket.request_reshipment("r-1", "o-1", [(1, "VASE", 1)], at=T0)
    with pytest.raises(NotFound) as not_found:
        ticket.record_remedy_outcome("r-404", "credit", "cn-1")
    assert_rule(not_found, "unknown-remedy", "remedy_id")
    with pytest.raises(DomainError) as mismatch:
        ticket.record_remedy_outcome("r-1", "credit", "cn-1")
    assert_rule(mismatch, "remedy-kind-mismatch")
    with pytest.raises(InvalidInput) as bad_kind:
        ticket.record_remedy_outcome("r-1", "refund", "x")
    assert_rule(bad_kind, "unknown-remedy-kind")
    with pytest.raises(InvalidInput) as no_reference:
        ticket.record_remedy_outcome("r-1", "reshipment", None)
    assert_rule(no_reference, "required", "reference")
    assert ticket.remedy("r-1").status == "requested"
    ticket.record_remedy_outcome("r-1", "reshipment", "sh-1")
    with pytest.raises(Conflict) as twice:
        ticket.record_remedy_outcome("r-1", "reshipment", "sh-2")
    assert_rule(twice, "remedy-already-fulfilled")
    assert ticket.remedy("r-1").shipment_id == "sh-1"


# resolve, close, reopen -------------------------------------------------------------


def test_resolve_needs_a_root_cause() -> None:
    ticket = opened()
    with pytest.raises(DomainError) as exc:
        ticket.resolve(T0 + HOUR, "done")
    assert_rule(exc, "root-cause-required", "root_cause")
    ticket.record_root_cause("late_delivery")
    (event,) = ticket.resolve(T0 + HOUR, "done")
    assert event == TicketResolved(
        ticket_id="t-1", customer_id="c-1", resolved_at=T0 + HOUR, resolution="done"
    )
    assert ticket.status == "resolved" and ticket.is_resolved


def test_resolve_twice_is_refused() -> None:
    ticket = resolved()
    with pytest.raises(DomainError) as exc:
        ticket.resolve(T0 + DAY)
    assert_rule(exc, "ticket-not-open")


def test_close_needs_a_resolution_and_is_idempotent() -> None:
    ticket = opened()
    with pytest.raises(DomainError) as exc:
        ticket.close(T0 + HOUR)
    assert_rule(exc, "ticket-not-resolved")
    ticket = resolved(T0 + 2 * HOUR)
    with pytest.raises(InvalidInput) as exc:
        ticket.close(T0 + HOUR)
    assert_rule(exc, "before-resolved", "at")
    assert ticket.close(T0 + DAY) == [TicketClosed(ticket_id="t-1", customer_id="c-1", closed_at=T0 + DAY)]
    assert ticket.close(T0 + 2 * DAY) == []
    assert ticket.status == "closed" and ticket.closed_at == T0 + DAY


def test_reopen_within_the_window() -> None:
    resolved_at = T0 + 2 * HOUR
    ticket = resolved(resolved_at)
    (event,) = ticket.reopen(resolved_at + 14 * DAY, "still broken")  # exactly at the end: allowed
    assert event == TicketReopened(
        ticket_id="t-1", customer_id="c-1", reopened_at=resolved_at + 14 * DAY, reason="still broken"
    )
    assert ticket.status == "open" and ticket.resolved_at is None and ticket.reopen_count == 1


def test_reopen_past_the_window_is_refused() -> None:
    resolved_at = T0 + 2 * HOUR
    ticket = resolved(resolved_at)
    with pytest.raises(DomainError) as exc:
        ticket.reopen(resolved_at + 14 * DAY + dt.timedelta(seconds=1))
    assert_rule(exc, "reopen-window-passed")
    assert ticket.status == "resolved"


def test_reopen_a_closed_ticket_within_the_window_counts_from_the_resolution() -> None:
    resolved_at = T0 + 2 * HOUR
    ticket = resolved(resolved_at)
    ticket.close(resolved_at + 10 * DAY)
    assert len(ticket.reopen(resolved_at + 13 * DAY, "again")) == 1
    assert ticket.status == "open"

    ticket = resolved(resolved_at)
    ticket.close(resolved_at + 10 * DAY)
    with pytest.raises(DomainError) as exc:  # closing does not extend the window
        ticket.reopen(resolved_at + 15 * DAY)
    assert_rule(exc, "reopen-window-passed")


def test_reopen_window_is_configurable() -> None:
    ticket = resolved(T0)
    with pytest.raises(DomainError) as exc:
        ticket.reopen(T0 + 3 * DAY, window=2 * DAY)
    assert_rule(exc, "reopen-window-passed")
    assert len(ticket.reopen(T0 + 3 * DAY, window=30 * DAY)) == 1


def test_reopen_an_open_ticket_is_refused() -> None:
    with pytest.raises(DomainError) as exc:
        opened().reopen(T0 + HOUR)
    assert_rule(exc, "ticket-not-resolved")


def test_reopened_ticket_can_be_worked_and_resolved_again() -> None:
    ticket = resolved(T0 + HOUR)
    ticket.reopen(T0 + DAY)
    ticket.reply("agent", "a-1", "Looking again", T0 + DAY + HOUR)
    ticket.resolve(T0 + 2 * DAY, "replaced")
    assert ticket.resolved_at == T0 + 2 * DAY
    # the window runs from the latest resolution
    assert len(ticket.reopen(T0 + 15 * DAY)) == 1


# satisfaction -------------------------------------------------------------------------


@pytest.mark.parametrize("score", [1, 5])
def test_rate_a_resolved_ticket(score: int) -> None:
    ticket = resolved()
    assert ticket.rate_satisfaction(score, "ok") == [
        SatisfactionRated(ticket_id="t-1", customer_id="c-1", score=score, comment="ok")
    ]
    assert ticket.satisfaction is not None and ticket.satisfaction.score == score


@pytest.mark.parametrize("score", [0, 6, -1, True])
def test_score_out_of_range_is_refused(score: int) -> None:
    with pytest.raises(InvalidInput) as exc:
        resolved().rate_satisfaction(score)
    assert_rule(exc, "score-out-of-range", "score")


def test_rating_needs_a_resolution_and_happens_once_per_resolution() -> None:
    ticket = opened()
    ticket.record_root_cause("other")
    with pytest.raises(DomainError) as exc:
        ticket.rate_satisfaction(4)
    assert_rule(exc, "ticket-not-resolved")
    ticket.resolve(T0 + HOUR)
    ticket.close(T0 + DAY)
    ticket.rate_satisfaction(2)  # a closed ticket can still be rated
    with pytest.raises(Conflict) as exc:
        ticket.rate_satisfaction(3)
    assert_rule(exc, "already-rated")
    ticket.reopen(T0 + 2 * DAY)
    with pytest.raises(DomainError):
        ticket.rate_satisfaction(3)
    ticket.resolve(T0 + 3 * DAY)
    ticket.rate_satisfaction(5)
    assert ticket.satisfaction is not None and ticket.satisfaction.score == 5


# rebuilding ----------------------------------------------------------------------------


def test_rebuild_from_events_gives_the_same_state() -> None:
    ticket = Ticket()
    log: list[TicketEvent] = []
    log += ticket.open(
        "t-1", "c-1", channel="web", subject="s", description="d", priority="high", opened_at=T0
    )
    log += ticket.assign("a-1")
    log += ticket.reply("agent", "a-1", "hi", T0 + HOUR)
    log += ticket.record_root_cause("wrong_item")
    log += ticket.request_credit(
        "r-1", "inv-1", Money.of("5", "EUR"), "x", open_amount=Money.of("9", "EUR"), at=T0 + HOUR
    )
    log += ticket.request_reshipment("r-2", "o-1", [(1, "A", 1)], at=T0 + HOUR)
    log += ticket.resolve(T0 + 5 * HOUR)
    log += ticket.record_sla_breaches(T0 + 30 * HOUR)  # nothing: responded and resolved
    log += ticket.rate_satisfaction(4)
    ticket.record_remedy_outcome("r-2", "reshipment", "sh-1")

    again = Ticket.rebuild(log, [RemedyOutcome(remedy_id="r-2", kind="reshipment", reference="sh-1")])

    assert again.version == ticket.version == len(log) == 8
    for name in (
        "ticket_id",
        "customer_id",
        "status",
        "priority",
        "assignee_id",
        "first_responded_at",
        "root_cause",
        "resolved_at",
        "satisfaction",
        "remedies",
        "breached_targets",
    ):
        assert getattr(again, name) == getattr(ticket, name), name
    assert again.remedy("r-2").shipment_id == "sh-1"
    assert again.remedy("r-1").status == "requested"
