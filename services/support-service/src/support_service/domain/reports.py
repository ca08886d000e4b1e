"""Support reports for a period ``[start, end)``, as pure functions over plain fact records.

Ticket measures (root causes, SLA breach rate, median times) look at the tickets *opened*
in the period, so every number of one report describes the same cohort. Remedies count by
when they were requested; retention looks at customers whose ticket was resolved in the
period and whether they ordered again afterwards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from backoffice_events.catalog.support import Priority
from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput

from .remedies import REMEDY_KINDS, RemedyKind
from .tickets import ROOT_CAUSES, Ticket

UNRECORDED = "unrecorded"
"""Root-cause report key for tickets without a root cause yet."""


@dataclass(frozen=True)
class Period:
    """A half-open time range ``[start, end)``."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            if getattr(self, name).tzinfo is None:
                raise InvalidInput(f"{name} needs a time zone", field=name, rule="timezone-required")
        if self.end <= self.start:
            raise InvalidInput("the period must end after it starts", field="end", rule="period-empty")

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class TicketFact:
    """What the reports need of one ticket.

    ``resolved_at`` is the latest resolution (``None`` while open, also after a reopen);
    ``breach_recorded`` is whether an ``SlaBreached`` was recorded for the ticket.
    """

    ticket_id: str
    customer_id: str
    opened_at: dt.datetime
    first_response_due: dt.datetime
    resolution_due: dt.datetime
    priority: Priority = "normal"
    root_cause: str | None = None
    first_response_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    breach_recorded: bool = False

    @property
    def breached(self) -> bool:
        """Whether the ticket missed an SLA target: a breach was recorded, or the first
        response or the resolution came after its deadline (the periodic check may not have
        run in between). A ticket resolved without any agent reply had its first response
        when it was resolved."""
        first_response = self.first_response_at or self.resolved_at
        return (
            self.breach_recorded
            or (first_response is not None and first_response > self.first_response_due)
            or (self.resolved_at is not None and self.resolved_at > self.resolution_due)
        )


@dataclass(frozen=True)
class RemedyFact:
    """One remedy granted on a ticket; ``amount`` is set for credits."""

    remedy_id: str
    ticket_id: str
    kind: RemedyKind
    requested_at: dt.datetime
    amount: Money | None = None


@dataclass(frozen=True)
class OrderFact:
    """An order a customer placed."""

    order_id: str
    customer_id: str
    placed_at: dt.datetime


@dataclass(frozen=True)
class Ratio:
    """``part`` out of ``whole``; ``value`` is ``None`` when there is nothing to divide."""

    part: int
    whole: int

    @property
    def value(self) -> Decimal | None:
        """The share rounded half up to four decimals (0.3333 for 1 of 3)."""
        if self.whole == 0:
            return None
        return (Decimal(self.part) / Decimal(self.whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RemedyTotals:
    """How many remedies of one kind, and for credits the amounts per currency."""

    count: int = 0
    credited: dict[str, Money] = field(default_factory=dict)


@dataclass(frozen=True)
class Retention:
    """Customers with a ticket resolved in the period, and those of them who ordered after it."""

    customers: frozenset[str]
    returned: frozenset[str]

    @property
    def ratio(self) -> Ratio:
        return Ratio(len(self.returned), len(self.customers))


@dataclass(frozen=True)
class SupportReport:
    """All support measures of one period."""

    period: Period
    tickets_opened: int
    by_root_cause: dict[str, int]
    sla_breach_rate: Ratio
    median_first_response: dt.timedelta | None
    median_resolution: dt.timedelta | None
    remedies: dict[RemedyKind, RemedyTotals]
    retention: Retention


# facts from the aggregate -----------------------------------------------------------


def ticket_fact(ticket: Ticket) -> TicketFact:
    """The report facts of a ticket."""
    return TicketFact(
        ticket_id=ticket.ticket_id,
        customer_id=ticket.customer_id,
        opened_at=ticket.opened_at,
        first_response_due=ticket.first_response_due,
        resolution_due=ticket.resolution_due,
        priority=ticket.priority,
        root_cause=ticket.root_cause,
        first_response_at=ticket.first_responded_at,
        resolved_at=ticket.resolved_at,
        breach_recorded=bool(ticket.breached_targets),
    )


def remedy_facts(ticket: Ticket) -> list[RemedyFact]:
    """The report facts of a ticket's remedies (remedies recorded without a time are left out)."""
    return [
        RemedyFact(remedy.remedy_id, ticket.ticket_id, remedy.kind, remedy.requested_at, remedy.amount)
        for remedy in ticket.remedies
        if remedy.requested_at is not None
    ]


# measures ------------------------------------------------------------------------------


def _opened_in(period: Period, tickets: Iterable[TicketFact]) -> list[TicketFact]:
    return [ticket for ticket in tickets if ticket.opened_at in period]


def median(values: Sequence[dt.timedelta]) -> dt.timedelta | None:
    """The median duration; for an even count the mean of the two middle ones. ``None`` if empty."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def tickets_by_root_cause(period: Period, tickets: Iterable[TicketFact]) -> dict[str, int]:
    """Tickets opened in the period per root cause; every cause of the taxonomy is listed,
    tickets without a root cause count under ``"unrecorded"``."""
    counts: dict[str, int] = dict.fromkeys(ROOT_CAUSES, 0)
    counts[UNRECORDED] = 0
    for ticket in _opened_in(period, tickets):
        key = ticket.root_cause if ticket.root_cause in counts else UNRECORDED
        counts[key] += 1
    return counts


def sla_breach_rate(period: Period, tickets: Iterable[TicketFact]) -> Ratio:
    """Breached tickets out of the tickets opened in the period (see ``TicketFact.breached``)."""
    cohort = _opened_in(period, tickets)
    return Ratio(sum(1 for ticket in cohort if ticket.breached), len(cohort))


def median_time_to_first_response(period: Period, tickets: Iterable[TicketFact]) -> dt.timedelta | None:
    """Median time from opening to the first agent reply, over tickets opened in the period
    that have one."""
    return median(
        [
            ticket.first_response_at - ticket.opened_at
            for ticket in _opened_in(period, tickets)
            if ticket.first_response_at is not None
        ]
    )


def median_time_to_resolution(period: Period, tickets: Iterable[TicketFact]) -> dt.timedelta | None:
    """Median time from opening to the (latest) resolution, over tickets opened in the period
    that are resolved."""
    return median(
        [
            ticket.resolved_at - ticket.opened_at
            for ticket in _opened_in(period, tickets)
            if ticket.resolved_at is not None
        ]
    )


def remedies_by_kind(period: Period, remedies: Iterable[RemedyFact]) -> dict[RemedyKind, RemedyTotals]:
    """Remedies requested in the period per kind: how many, and the credited amount per currency."""
    counts: dict[RemedyKind, int] = dict.fromkeys(REMEDY_KINDS, 0)
    credited: dict[RemedyKind, dict[str, Money]] = {kind: {} for kind in REMEDY_KINDS}
    for remedy in remedies:
        if remedy.requested_at not in period:
            continue
        counts[remedy.kind] += 1
        if remedy.amount is not None:
            totals = credited[remedy.kind]
            currency = remedy.amount.currency
            totals[currency] = totals[currency] + remedy.amount if currency in totals else remedy.amount
    return {kind: RemedyTotals(counts[kind], credited[kind]) for kind in REMEDY_KINDS}


def retention(period: Period, tickets: Iterable[TicketFact], orders: Iterable[OrderFact]) -> Retention:
    """Customers with a ticket resolved in the period, and which of them placed an order
    strictly after their latest resolution in the period (orders after the period count too)."""
    last_resolution: dict[str, dt.datetime] = {}
    for ticket in tickets:
        if ticket.resolved_at is not None and ticket.resolved_at in period:
            known = last_resolution.get(ticket.customer_id)
            if known is None or ticket.resolved_at > known:
                last_resolution[ticket.customer_id] = ticket.resolved_at
    returned = {
        order.customer_id
        for order in orders
        if order.customer_id in last_resolution and order.placed_at > last_resolution[order.customer_id]
    }
    return Retention(frozenset(last_resolution), frozenset(returned))


def support_report(
    period: Period,
    tickets: Iterable[TicketFact],
    remedies: Iterable[RemedyFact],
    orders: Iterable[OrderFact],
) -> SupportReport:
    """Every measure of the period in one record."""
    ticket_list = list(tickets)
    return SupportReport(
        period=period,
        tickets_opened=len(_opened_in(period, ticket_list)),
        by_root_cause=tickets_by_root_cause(period, ticket_list),
        sla_breach_rate=sla_breach_rate(period, ticket_list),
        median_first_response=median_time_to_first_response(period, ticket_list),
        median_resolution=median_time_to_resolution(period, ticket_list),
        remedies=remedies_by_kind(period, remedies),
        retention=retention(period, ticket_list, orders),
    )
