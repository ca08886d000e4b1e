"""The ``Ticket`` aggregate: a customer's request from opening to resolution and rating.

Life cycle: ``open`` -> (``resolved`` -> ``closed``), with ``reopen`` back to ``open`` within a
window after the resolution. Work on the ticket (assigning, replying, recording the root
cause, requesting remedies, resolving) needs it open. Resolving needs a root cause, so every
resolved ticket shows up in the root-cause report. Internal notes may be added until the
ticket is closed; a rating needs a resolved or closed ticket, once per resolution.

Every command validates, returns the events it produced, and applies them to the ticket.
Read ``version`` before calling a command: that is the expected version for the append.
Remedy outcomes arrive from other services and are state only (``record_remedy_outcome``);
an adapter that rebuilds a ticket passes the outcomes it stored to ``Ticket.rebuild``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Literal, get_args

from backoffice_events.catalog.support import (
    Author,
    CreditRemedyRequested,
    GoodwillNoteRecorded,
    Priority,
    RemedyCreditLine,
    RemedyOutcome,
    ReshipmentRemedyRequested,
    RootCause,
    RootCauseRecorded,
    SatisfactionRated,
    SlaBreached,
    TicketAssigned,
    TicketClosed,
    TicketNoteAdded,
    TicketOpened,
    TicketReopened,
    TicketReplied,
    TicketResolved,
)
from backoffice_events.money import Money
from backoffice_events.receivables import LineCreditRequest
from backoffice_platform.errors import Conflict, DomainError, InvalidInput, NotFound

from .remedies import (
    Remedy,
    RemedyRequested,
    ReshipmentLineInput,
    check_credit_amount,
    fulfil,
    remedy_from_request,
    reshipment_lines,
)
from .sla import DEFAULT_SLA_POLICY, SlaPolicy, SlaTargetName, breaches_due, parse_priority

ROOT_CAUSES: tuple[RootCause, ...] = get_args(RootCause)
"""The fixed root-cause taxonomy."""
AUTHORS: tuple[Author, ...] = get_args(Author)

DEFAULT_REOPEN_WINDOW = dt.timedelta(days=14)
"""How long after its resolution a ticket may be reopened, unless configured otherwise."""

TicketStatus = Literal["open", "resolved", "closed"]

TicketEvent = (
    TicketOpened
    | TicketAssigned
    | TicketReplied
    | TicketNoteAdded
    | RootCauseRecorded
    | CreditRemedyRequested
    | ReshipmentRemedyRequested
    | GoodwillNoteRecorded
    | TicketResolved
    | TicketClosed
    | TicketReopened
    | SatisfactionRated
    | SlaBreached
)


def parse_root_cause(value: str) -> RootCause:
    """``value`` as a root cause of the taxonomy, or ``InvalidInput`` rule ``unknown-root-cause``."""
    for cause in ROOT_CAUSES:
        if cause == value:
            return cause
    raise InvalidInput(
        f"unknown root cause {value!r}; expected one of {', '.join(ROOT_CAUSES)}",
        field="root_cause",
        rule="unknown-root-cause",
    )


def _parse_author(value: str) -> Author:
    for author in AUTHORS:
        if author == value:
            return author
    raise InvalidInput(
        f"unknown author {value!r}; expected agent or customer", field="author", rule="unknown-author"
    )


def _required(value: str, field: str) -> str:
    if not value or not value.strip():
        raise InvalidInput(f"{field} must not be empty", field=field, rule="required")
    return value


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    # Naive times would compare wrongly against deadlines computed in UTC.
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{field} needs a time zone", field=field, rule="timezone-required")
    return value


class Ticket:
    """A support ticket, rebuilt from its events. Create one with ``Ticket().open(...)``."""

    def __init__(self) -> None:
        self.version = 0
        self._opened: TicketOpened | None = None
        self.status: TicketStatus = "open"
        self.assignee_id: str | None = None
        self.first_responded_at: dt.datetime | None = None
        self.root_cause: RootCause | None = None
        self.root_cause_notes = ""
        self.resolved_at: dt.datetime | None = None
        self.resolution = ""
        self.closed_at: dt.datetime | None = None
        self.reopen_count = 0
        self.satisfaction: SatisfactionRated | None = None
        self._rated_since_resolution = False
        self._breached: set[SlaTargetName] = set()
        self._remedies: dict[str, Remedy] = {}

    # rebuilding ---------------------------------------------------------------
    @classmethod
    def rebuild(cls, events: Iterable[TicketEvent], outcomes: Iterable[RemedyOutcome] = ()) -> Ticket:
        """The ticket as its stored events (and the remedy outcomes recorded since) leave it."""
        ticket = cls()
        for event in events:
            ticket.apply(event)
        for outcome in outcomes:
            ticket.record_remedy_outcome(outcome.remedy_id, outcome.kind, outcome.reference)
        return ticket

    def apply(self, event: TicketEvent) -> None:
        """Change state by one event. No checks: the event already happened."""
        if isinstance(event, TicketOpened):
            self._opened = event
            self.status = "open"
        elif isinstance(event, TicketAssigned):
            self.assignee_id = event.agent_id
        elif isinstance(event, TicketReplied):
            if event.first_response:
                self.first_responded_at = event.replied_at
        elif isinstance(event, RootCauseRecorded):
            self.root_cause = event.root_cause
            self.root_cause_notes = event.notes
        elif isinstance(event, CreditRemedyRequested | ReshipmentRemedyRequested | GoodwillNoteRecorded):
            self._remedies[event.remedy_id] = remedy_from_request(event)
        elif isinstance(event, TicketResolved):
            self.status = "resolved"
            self.resolved_at = event.resolved_at
            self.resolution = event.resolution
            self._rated_since_resolution = False
        elif isinstance(event, TicketClosed):
            self.status = "closed"
            self.closed_at = event.closed_at
        elif isinstance(event, TicketReopened):
            self.status = "open"
            self.resolved_at = None
            self.closed_at = None
            self.reopen_count += 1
        elif isinstance(event, SatisfactionRated):
            self.satisfaction = event
            self._rated_since_resolution = True
        elif isinstance(event, SlaBreached):
            self._breached.add(event.target)
        # TicketNoteAdded changes nothing the rules look at.
        self.version += 1

    def _applied(self, event: TicketEvent) -> list[TicketEvent]:
        self.apply(event)
        return [event]

    # state ----------------------------------------------------------------------
    @property
    def opened(self) -> TicketOpened:
        """The opening event (``NotFound`` for a ticket that was never opened)."""
        if self._opened is None:
            raise NotFound("the ticket does not exist", field="ticket_id", rule="unknown-ticket")
        return self._opened

    @property
    def ticket_id(self) -> str:
        return self.opened.ticket_id

    @property
    def customer_id(self) -> str:
        return self.opened.customer_id

    @property
    def priority(self) -> Priority:
        return self.opened.priority

    @property
    def opened_at(self) -> dt.datetime:
        return self.opened.opened_at

    @property
    def first_response_due(self) -> dt.datetime:
        return self.opened.first_response_due

    @property
    def resolution_due(self) -> dt.datetime:
        return self.opened.resolution_due

    @property
    def is_resolved(self) -> bool:
        """Resolved or closed (a reopened ticket is not)."""
        return self.status != "open"

    @property
    def breached_targets(self) -> frozenset[SlaTargetName]:
        """SLA targets whose breach was already recorded."""
        return frozenset(self._breached)

    @property
    def first_response_met(self) -> bool | None:
        """Whether the first agent reply came by its deadline (``None`` before any reply)."""
        if self.first_responded_at is None:
            return None
        return self.first_responded_at <= self.first_response_due

    @property
    def remedies(self) -> list[Remedy]:
        """The remedies in the order they were requested, with their status."""
        return list(self._remedies.values())

    def remedy(self, remedy_id: str) -> Remedy:
        """One remedy (``NotFound`` rule ``unknown-remedy``)."""
        try:
            return self._remedies[remedy_id]
        except KeyError:
            raise NotFound(
                f"ticket {self.ticket_id} has no remedy {remedy_id!r}",
                field="remedy_id",
                rule="unknown-remedy",
            ) from None

    # guards ---------------------------------------------------------------------
    def _require_opened(self) -> None:
        if self._opened is None:
            raise NotFound("the ticket does not exist", field="ticket_id", rule="unknown-ticket")

    def _require_open(self) -> None:
        self._require_opened()
        if self.status != "open":
            raise DomainError(
                f"ticket {self.ticket_id} is {self.status}; reopen it first",
                field="status",
                rule="ticket-not-open",
            )

    def _not_before(self, at: dt.datetime, reference: dt.datetime, field: str, rule: str) -> None:
        if at < reference:
            raise InvalidInput(
                f"{field} {at.isoformat()} lies before {reference.isoformat()}", field=field, rule=rule
            )

    # commands -------------------------------------------------------------------
    def open(
        self,
        ticket_id: str,
        customer_id: str,
        *,
        channel: str,
        subject: str,
        description: str,
        priority: str,
        opened_at: dt.datetime,
        order_id: str | None = None,
        invoice_id: str | None = None,
        policy: SlaPolicy = DEFAULT_SLA_POLICY,
    ) -> list[TicketEvent]:
        """Open the ticket with deadlines for first response and resolution from ``policy``."""
        if self._opened is not None:
            raise Conflict(f"ticket {self.ticket_id} already exists", field="ticket_id", rule="ticket-exists")
        _required(ticket_id, "ticket_id")
        _required(customer_id, "customer_id")
        _required(channel, "channel")
        _required(subject, "subject")
        checked_priority = parse_priority(priority)
        _aware(opened_at, "opened_at")
        first_response_due, resolution_due = policy.deadlines(checked_priority, opened_at)
        return self._applied(
            TicketOpened(
                ticket_id=ticket_id,
                customer_id=customer_id,
                order_id=order_id or None,
                invoice_id=invoice_id or None,
                channel=channel,
                subject=subject,
                description=description,
                priority=checked_priority,
                opened_at=opened_at,
                first_response_due=first_response_due,
                resolution_due=resolution_due,
            )
        )

    def assign(self, agent_id: str) -> list[TicketEvent]:
        """Give the ticket to an agent. Assigning the current assignee again changes nothing."""
        _required(agent_id, "agent_id")
        self._require_open()
        if agent_id == self.assignee_id:
            return []
        return self._applied(
            TicketAssigned(ticket_id=self.ticket_id, customer_id=self.customer_id, agent_id=agent_id)
        )

    def reply(self, author: str, author_id: str, body: str, at: dt.datetime) -> list[TicketEvent]:
        """A visible reply. The first agent reply is the first response the SLA measures."""
        checked_author = _parse_author(author)
        _required(author_id, "author_id")
        _required(body, "body")
        _aware(at, "at")
        self._require_open()
        self._not_before(at, self.opened_at, "at", "before-opened")
        first = checked_author == "agent" and self.first_responded_at is None
        return self._applied(
            TicketReplied(
                ticket_id=self.ticket_id,
                customer_id=self.customer_id,
                author=checked_author,
                author_id=author_id,
                body=body,
                replied_at=at,
                first_response=first,
            )
        )

    def add_note(self, author_id: str, body: str) -> list[TicketEvent]:
        """An internal note the customer never sees; allowed until the ticket is closed."""
        _required(author_id, "author_id")
        _required(body, "body")
        self._require_opened()
        if self.status == "closed":
            raise DomainError(f"ticket {self.ticket_id} is closed", field="status", rule="ticket-closed")
        return self._applied(
            TicketNoteAdded(
                ticket_id=self.ticket_id, customer_id=self.customer_id, author_id=author_id, body=body
            )
        )

    def record_root_cause(self, root_cause: str, notes: str = "") -> list[TicketEvent]:
        """Record (or correct) the root cause from the fixed taxonomy."""
        cause = parse_root_cause(root_cause)
        self._require_open()
        return self._applied(
            RootCauseRecorded(
                ticket_id=self.ticket_id, customer_id=self.customer_id, root_cause=cause, notes=notes
            )
        )

    def _check_new_remedy(self, remedy_id: str, at: dt.datetime) -> None:
        _required(remedy_id, "remedy_id")
        _aware(at, "at")
        self._require_open()
        self._not_before(at, self.opened_at, "at", "before-opened")
        if remedy_id in self._remedies:
            raise Conflict(
                f"ticket {self.ticket_id} already has a remedy {remedy_id!r}",
                field="remedy_id",
                rule="duplicate-remedy",
            )

    def request_credit(
        self,
        remedy_id: str,
        invoice_id: str,
        amount: Money,
        reason: str,
        *,
        open_amount: Money,
        at: dt.datetime,
        lines: Sequence[LineCreditRequest] = (),
    ) -> list[TicketEvent]:
        """Ask billing for a credit note on ``invoice_id`` of gross ``amount``: on the named
        invoice ``lines`` (what they come to is ``amount``), or spread over the invoice's lines in
        proportion when none are named.

        ``open_amount`` is what is still open on the invoice (from the customer history
        projection). Credits this ticket already requested on the invoice and billing has not
        issued yet count against it too.
        """
        _required(invoice_id, "invoice_id")
        _required(reason, "reason")
        self._check_new_remedy(remedy_id, at)
        pending = [
            remedy.amount
            for remedy in self._remedies.values()
            if remedy.kind == "credit"
            and remedy.is_pending
            and remedy.invoice_id == invoice_id
            and remedy.amount is not None
        ]
        check_credit_amount(amount, open_amount, pending)
        return self._applied(
            CreditRemedyRequested(
                ticket_id=self.ticket_id,
                customer_id=self.customer_id,
                remedy_id=remedy_id,
                invoice_id=invoice_id,
                lines=[
                    RemedyCreditLine(line_no=line.line_no, quantity=line.quantity, amount=line.amount)
                    for line in lines
                ],
                amount=amount,
                reason=reason,
                requested_at=at,
            )
        )

    def request_reshipment(
        self,
        remedy_id: str,
        order_id: str,
        lines: Sequence[ReshipmentLineInput],
        *,
        at: dt.datetime,
    ) -> list[TicketEvent]:
        """Ask order-service to ship a free replacement of ``lines`` of ``order_id``."""
        _required(order_id, "order_id")
        checked = reshipment_lines(lines)
        self._check_new_remedy(remedy_id, at)
        return self._applied(
            ReshipmentRemedyRequested(
                ticket_id=self.ticket_id,
                customer_id=self.customer_id,
                remedy_id=remedy_id,
                order_id=order_id,
                lines=checked,
                requested_at=at,
            )
        )

    def record_goodwill(self, remedy_id: str, note: str, *, at: dt.datetime) -> list[TicketEvent]:
        """A goodwill gesture that needs no other service (an apology, a voucher code...)."""
        _required(note, "note")
        self._check_new_remedy(remedy_id, at)
        return self._applied(
            GoodwillNoteRecorded(
                ticket_id=self.ticket_id,
                customer_id=self.customer_id,
                remedy_id=remedy_id,
                note=note,
                requested_at=at,
            )
        )

    def record_remedy_outcome(self, remedy_id: str, kind: str, reference: str | None) -> Remedy:
        """Mark a remedy fulfilled by another service's event (state only, no event).

        Idempotent for the same outcome; see ``remedies.fulfil`` for the refusals.
        """
        remedy = fulfil(self.remedy(remedy_id), kind, reference)
        self._remedies[remedy_id] = remedy
        return remedy

    def resolve(self, at: dt.datetime, resolution: str = "") -> list[TicketEvent]:
        """Resolve the ticket. Needs a recorded root cause (rule ``root-cause-required``)."""
        _aware(at, "at")
        self._require_open()
        self._not_before(at, self.opened_at, "at", "before-opened")
        if self.root_cause is None:
            raise DomainError(
                "record a root cause before resolving the ticket",
                field="root_cause",
                rule="root-cause-required",
            )
        return self._applied(
            TicketResolved(
                ticket_id=self.ticket_id, customer_id=self.customer_id, resolved_at=at, resolution=resolution
            )
        )

    def close(self, at: dt.datetime) -> list[TicketEvent]:
        """Close a resolved ticket. Closing a closed ticket again changes nothing."""
        _aware(at, "at")
        self._require_opened()
        if self.status == "closed":
            return []
        if self.status != "resolved" or self.resolved_at is None:
            raise DomainError(
                f"ticket {self.ticket_id} must be resolved before it is closed",
                field="status",
                rule="ticket-not-resolved",
            )
        self._not_before(at, self.resolved_at, "at", "before-resolved")
        return self._applied(
            TicketClosed(ticket_id=self.ticket_id, customer_id=self.customer_id, closed_at=at)
        )

    def reopen(
        self, at: dt.datetime, reason: str = "", *, window: dt.timedelta = DEFAULT_REOPEN_WINDOW
    ) -> list[TicketEvent]:
        """Reopen a resolved or closed ticket, at most ``window`` after it was resolved.

        The window runs from the resolution, not the closing, so closing a ticket does not
        extend it; exactly at the end of the window is still allowed.
        """
        _aware(at, "at")
        self._require_opened()
        if self.status == "open" or self.resolved_at is None:
            raise DomainError(f"ticket {self.ticket_id} is open", field="status", rule="ticket-not-resolved")
        self._not_before(at, self.resolved_at, "at", "before-resolved")
        if at - self.resolved_at > window:
            raise DomainError(
                f"ticket {self.ticket_id} was resolved on {self.resolved_at.isoformat()}; "
                f"it can be reopened for {window} after that. Open a new ticket instead.",
                field="at",
                rule="reopen-window-passed",
            )
        return self._applied(
            TicketReopened(
                ticket_id=self.ticket_id, customer_id=self.customer_id, reopened_at=at, reason=reason
            )
        )

    def rate_satisfaction(self, score: int, comment: str = "") -> list[TicketEvent]:
        """The customer's rating of the resolution, 1 (bad) to 5 (good), once per resolution."""
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidInput(
                f"score {score!r} must be a whole number from 1 to 5",
                field="score",
                rule="score-out-of-range",
            )
        self._require_opened()
        if self.status == "open":
            raise DomainError(
                f"ticket {self.ticket_id} is not resolved yet", field="status", rule="ticket-not-resolved"
            )
        if self._rated_since_resolution:
            raise Conflict(
                f"ticket {self.ticket_id} was already rated for this resolution",
                field="score",
                rule="already-rated",
            )
        return self._applied(
            SatisfactionRated(
                ticket_id=self.ticket_id, customer_id=self.customer_id, score=score, comment=comment
            )
        )

    def record_sla_breaches(self, as_of: dt.datetime) -> list[TicketEvent]:
        """Record the SLA breaches due at ``as_of`` (see ``sla.breaches_due``); each only once."""
        self._require_opened()
        events: list[TicketEvent] = []
        for breach in breaches_due(self, as_of):
            events.extend(self._applied(breach))
        return events


__all__ = [
    "AUTHORS",
    "DEFAULT_REOPEN_WINDOW",
    "ROOT_CAUSES",
    "RemedyRequested",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
    "parse_root_cause",
]
