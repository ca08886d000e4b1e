"""SLA policy and breach timing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from backoffice_events.catalog.support import SlaBreached
from backoffice_platform.errors import InvalidInput
from support_service.domain.sla import DEFAULT_SLA_POLICY, SlaPolicy, SlaTarget, SlaTargetName, breaches_due
from support_service.domain.tickets import Ticket

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
TICK = dt.timedelta(microseconds=1)


def opened(priority: str = "high") -> Ticket:
    ticket = Ticket()
    ticket.open("t-1", "c-1", channel="email", subject="s", description="", priority=priority, opened_at=T0)
    return ticket


# policy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "first_response", "resolution"),
    [("urgent", 1, 8), ("high", 4, 24), ("normal", 8, 72), ("low", 24, 120)],
)
def test_default_targets(priority: str, first_response: int, resolution: int) -> None:
    assert DEFAULT_SLA_POLICY.deadlines(priority, T0) == (T0 + first_response * HOUR, T0 + resolution * HOUR)


def test_from_hours_overrides_only_what_is_given() -> None:
    policy = SlaPolicy.from_hours({"urgent": (0.5, 4)})
    assert policy.target_for("urgent") == SlaTarget(dt.timedelta(minutes=30), 4 * HOUR)
    assert policy.target_for("normal") == SlaTarget(8 * HOUR, 72 * HOUR)


@pytest.mark.parametrize(
    ("hours", "field", "rule"),
    [
        ({"critical": (1, 2)}, "targets.critical", "unknown-priority"),
        ({"high": (0, 2)}, "targets.high.first_response", "sla-target-not-positive"),
        ({"high": (1, -2)}, "targets.high.resolution", "sla-target-not-positive"),
        ({"high": (5, 2)}, "targets.high.first_response", "first-response-after-resolution"),
    ],
)
def test_bad_policy_is_refused(hours: dict[str, tuple[float, float]], field: str, rule: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        SlaPolicy.from_hours(hours)
    assert (exc.value.field, exc.value.rule) == (field, rule)


def test_policy_needs_every_priority() -> None:
    with pytest.raises(InvalidInput) as exc:
        SlaPolicy({"urgent": SlaTarget(HOUR, 2 * HOUR)})
    assert (exc.value.field, exc.value.rule) == ("targets.low", "sla-target-missing")


def test_unknown_priority_lookup() -> None:
    with pytest.raises(InvalidInput) as exc:
        DEFAULT_SLA_POLICY.deadlines("asap", T0)
    assert exc.value.rule == "unknown-priority"


# breaches ----------------------------------------------------------------------------


def test_no_breach_at_or_before_the_deadline() -> None:
    ticket = opened("high")  # 4 h / 24 h
    assert breaches_due(ticket, T0 + 4 * HOUR - TICK) == []
    assert breaches_due(ticket, T0 + 4 * HOUR) == []  # exactly at the deadline is still on time


def test_first_response_breach_just_after_the_deadline() -> None:
    ticket = opened("high")
    as_of = T0 + 4 * HOUR + TICK
    assert breaches_due(ticket, as_of) == [
        SlaBreached(
            ticket_id="t-1", customer_id="c-1", target="first_response", deadline=T0 + 4 * HOUR, as_of=as_of
        )
    ]


def test_breaches_due_is_pure_and_the_ticket_remembers_recorded_breaches() -> None:
    ticket = opened("high")
    as_of = T0 + 5 * HOUR
    assert len(breaches_due(ticket, as_of)) == 1
    assert len(breaches_due(ticket, as_of)) == 1  # nothing recorded yet: still due
    recorded = ticket.record_sla_breaches(as_of)
    assert [e.target for e in recorded if isinstance(e, SlaBreached)] == ["first_response"]
    assert ticket.breached_targets == {"first_response"}
    assert breaches_due(ticket, as_of + HOUR) == []  # emitted once
    assert ticket.record_sla_breaches(as_of + HOUR) == []


def test_agent_reply_before_the_deadline_prevents_the_first_response_breach() -> None:
    ticket = opened("high")
    ticket.reply("customer", "c-1", "hello?", T0 + HOUR)  # a customer reply does not count
    assert [b.target for b in breaches_due(ticket, T0 + 5 * HOUR)] == ["first_response"]
    ticket.reply("agent", "a-1", "on it", T0 + 3 * HOUR)
    assert breaches_due(ticket, T0 + 5 * HOUR) == []


def test_resolution_breach_just_after_the_deadline_and_only_once() -> None:
    ticket = opened("urgent")  # 1 h / 8 h
    ticket.reply("agent", "a-1", "on it", T0 + dt.timedelta(minutes=10))
    assert breaches_due(ticket, T0 + 8 * HOUR) == []
    (breach,) = ticket.record_sla_breaches(T0 + 8 * HOUR + TICK)
    assert isinstance(breach, SlaBreached)
    assert (breach.target, breach.deadline) == ("resolution", T0 + 8 * HOUR)
    assert ticket.record_sla_breaches(T0 + 100 * HOUR) == []


def test_both_targets_breach_together_in_order() -> None:
    ticket = opened("urgent")
    events = ticket.record_sla_breaches(T0 + 9 * HOUR)
    assert [e.target for e in events if isinstance(e, SlaBreached)] == ["first_response", "resolution"]
    assert ticket.version == 3


def test_resolved_ticket_does_not_breach_resolution_but_a_reopened_one_does() -> None:
    ticket = opened("urgent")
    ticket.reply("agent", "a-1", "on it", T0 + dt.timedelta(minutes=10))
    ticket.record_root_cause("other")
    ticket.resolve(T0 + 2 * HOUR)
    assert breaches_due(ticket, T0 + 10 * HOUR) == []
    ticket.reopen(T0 + 9 * HOUR)
    assert [b.target for b in breaches_due(ticket, T0 + 10 * HOUR)] == ["resolution"]


def test_a_ticket_resolved_without_a_reply_is_not_chased_for_a_first_response() -> None:
    ticket = opened("high")
    ticket.record_root_cause("other")
    ticket.resolve(T0 + HOUR, "duplicate of t-0")
    assert breaches_due(ticket, T0 + 100 * HOUR) == []


def test_breaches_survive_a_rebuild() -> None:
    ticket = opened("urgent")
    events = ticket.record_sla_breaches(T0 + 2 * HOUR)
    rebuilt = Ticket.rebuild([ticket.opened, *events])
    assert rebuilt.breached_targets == {"first_response"}
    assert [b.target for b in breaches_due(rebuilt, T0 + 9 * HOUR)] == ["resolution"]


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(InvalidInput) as exc:
        breaches_due(opened(), dt.datetime(2026, 3, 3))
    assert exc.value.rule == "timezone-required"


@dataclass
class TicketRow:
    """A projection row works as well as the aggregate."""

    ticket_id: str
    customer_id: str
    first_response_due: dt.datetime
    resolution_due: dt.datetime
    first_responded_at: dt.datetime | None
    is_resolved: bool
    breached_targets: frozenset[SlaTargetName]


def test_breaches_due_accepts_a_projection_row() -> None:
    row = TicketRow("t-2", "c-2", T0 + HOUR, T0 + 8 * HOUR, None, False, frozenset({"first_response"}))
    assert [b.target for b in breaches_due(row, T0 + 9 * HOUR)] == ["resolution"]
