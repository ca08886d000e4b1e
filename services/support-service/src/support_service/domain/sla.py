"""Service levels of support: deadlines per priority and the breaches they produce.

Targets are calendar time (no business hours): a deadline is ``opened_at + target``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

from backoffice_events.catalog.support import Priority, SlaBreached
from backoffice_platform.errors import InvalidInput

PRIORITIES: tuple[Priority, ...] = get_args(Priority)
"""The ticket priorities, lowest first."""

SlaTargetName = Literal["first_response", "resolution"]


def parse_priority(value: str, field: str = "priority") -> Priority:
    """``value`` as a priority, or ``InvalidInput`` with rule ``unknown-priority``."""
    for priority in PRIORITIES:
        if priority == value:
            return priority
    raise InvalidInput(
        f"unknown priority {value!r}; expected one of {', '.join(PRIORITIES)}",
        field=field,
        rule="unknown-priority",
    )


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """How long support may take for one priority: to answer first, and to resolve."""

    first_response: dt.timedelta
    resolution: dt.timedelta


DEFAULT_TARGETS: Mapping[Priority, SlaTarget] = {
    "urgent": SlaTarget(dt.timedelta(hours=1), dt.timedelta(hours=8)),
    "high": SlaTarget(dt.timedelta(hours=4), dt.timedelta(hours=24)),
    "normal": SlaTarget(dt.timedelta(hours=8), dt.timedelta(hours=72)),
    "low": SlaTarget(dt.timedelta(hours=24), dt.timedelta(hours=120)),
}


def _default_targets() -> dict[Priority, SlaTarget]:
    return dict(DEFAULT_TARGETS)


@dataclass(frozen=True)
class SlaPolicy:
    """First-response and resolution targets for every priority.

    Every priority must have a target; targets must be positive and the first
    response may not be due after the resolution.
    """

    targets: Mapping[Priority, SlaTarget] = field(default_factory=_default_targets)

    def __post_init__(self) -> None:
        for priority in PRIORITIES:
            target = self.targets.get(priority)
            if target is None:
                raise InvalidInput(
                    f"the SLA policy has no target for priority {priority!r}",
                    field=f"targets.{priority}",
                    rule="sla-target-missing",
                )
            for name in ("first_response", "resolution"):
                if getattr(target, name) <= dt.timedelta(0):
                    raise InvalidInput(
                        f"the {name} target for {priority!r} must be positive",
                        field=f"targets.{priority}.{name}",
                        rule="sla-target-not-positive",
                    )
            if target.first_response > target.resolution:
                raise InvalidInput(
                    f"the first response for {priority!r} may not be due after the resolution",
                    field=f"targets.{priority}.first_response",
                    rule="first-response-after-resolution",
                )
        for name in self.targets:
            parse_priority(name, field=f"targets.{name}")

    @classmethod
    def from_hours(cls, hours: Mapping[str, tuple[float, float]]) -> SlaPolicy:
        """Build from configuration such as ``{"urgent": (1, 8)}``; priorities left out keep the defaults."""
        targets: dict[Priority, SlaTarget] = _default_targets()
        for name, (first_response, resolution) in hours.items():
            priority = parse_priority(name, field=f"targets.{name}")
            targets[priority] = SlaTarget(dt.timedelta(hours=first_response), dt.timedelta(hours=resolution))
        return cls(targets)

    def target_for(self, priority: str) -> SlaTarget:
        """The target of one priority (``unknown-priority`` for anything else)."""
        return self.targets[parse_priority(priority)]

    def deadlines(self, priority: str, opened_at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """``(first_response_due, resolution_due)`` of a ticket opened at ``opened_at``."""
        target = self.target_for(priority)
        return opened_at + target.first_response, opened_at + target.resolution


DEFAULT_SLA_POLICY = SlaPolicy()
"""urgent 1h/8h, high 4h/24h, normal 8h/72h, low 24h/120h."""


class SlaSubject(Protocol):
    """What the breach check needs to know about a ticket (a ``Ticket`` or a projection row)."""

    @property
    def ticket_id(self) -> str: ...

    @property
    def customer_id(self) -> str: ...

    @property
    def first_response_due(self) -> dt.datetime: ...

    @property
    def resolution_due(self) -> dt.datetime: ...

    @property
    def first_responded_at(self) -> dt.datetime | None: ...

    @property
    def is_resolved(self) -> bool: ...

    @property
    def breached_targets(self) -> frozenset[SlaTargetName]: ...


def breaches_due(ticket: SlaSubject, as_of: dt.datetime) -> list[SlaBreached]:
    """The SLA breaches ``ticket`` has at ``as_of`` that were not recorded yet.

    First response: breached once ``as_of`` is past the deadline and no agent has replied
    (resolving the ticket stops that clock, so a ticket solved without a reply is not chased).
    Resolution: breached once ``as_of`` is past the deadline and the ticket is not resolved
    (a reopened ticket counts as not resolved). Exactly at the deadline is still on time.
    Each target breaches at most once per ticket: the caller appends the returned events to
    the ticket, whose state then lists the target in ``breached_targets``. Pure: nothing changes.
    """
    if as_of.tzinfo is None:
        raise InvalidInput("as_of needs a time zone", field="as_of", rule="timezone-required")
    breaches: list[SlaBreached] = []
    if (
        "first_response" not in ticket.breached_targets
        and ticket.first_responded_at is None
        and not ticket.is_resolved
        and as_of > ticket.first_response_due
    ):
        breaches.append(
            SlaBreached(
                ticket_id=ticket.ticket_id,
                customer_id=ticket.customer_id,
                target="first_response",
                deadline=ticket.first_response_due,
                as_of=as_of,
            )
        )
    if (
        "resolution" not in ticket.breached_targets
        and not ticket.is_resolved
        and as_of > ticket.resolution_due
    ):
        breaches.append(
            SlaBreached(
                ticket_id=ticket.ticket_id,
                customer_id=ticket.customer_id,
                target="resolution",
                deadline=ticket.resolution_due,
                as_of=as_of,
            )
        )
    return breaches
