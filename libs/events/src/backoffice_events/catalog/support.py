"""Events of the support context (topic ``backoffice.support``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import Field

from ..money import Money
from .base import EventModel, register, upcaster
from .orders import Part, QuantityLine
from .topics import SUPPORT

Priority = Literal["low", "normal", "high", "urgent"]
RootCause = Literal[
    "late_delivery",
    "wrong_item",
    "damaged_goods",
    "missing_item",
    "billing_error",
    "pricing_error",
    "service_quality",
    "other",
]
Author = Literal["agent", "customer"]


class _Ticket(EventModel):
    topic: ClassVar[str] = SUPPORT
    aggregate: ClassVar[str] = "ticket"
    ticket_id: str
    customer_id: str


@register
class TicketOpened(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_opened"
    order_id: str | None = None
    invoice_id: str | None = None
    channel: str
    subject: str
    description: str
    priority: Priority
    opened_at: dt.datetime
    first_response_due: dt.datetime
    resolution_due: dt.datetime


@register
class TicketAssigned(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_assigned"
    agent_id: str


@register
class TicketReplied(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_replied"
    author: Author
    author_id: str
    body: str
    replied_at: dt.datetime
    first_response: bool = False


@register
class TicketNoteAdded(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_note_added"
    author_id: str
    body: str


@register
class RootCauseRecorded(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.root_cause_recorded"
    root_cause: RootCause
    notes: str = ""


class _Remedy(_Ticket):
    remedy_id: str
    # Optional so older records stay valid; reports count remedies by when they were requested.
    requested_at: dt.datetime | None = None


class RemedyCreditLine(Part):
    """One invoice line a credit remedy credits: by ``quantity`` (units) or gross ``amount``."""

    line_no: int = Field(ge=1)
    quantity: int | None = Field(default=None, ge=1)
    amount: Money | None = None


@register
class CreditRemedyRequestedV1(_Remedy):
    """First published shape: a gross amount only. Kept for old records; decoded as version 2
    with no lines, so billing spreads the amount over the invoice's lines in proportion to what
    each can still be credited (``backoffice_events.receivables.proportional_requests``)."""

    event_type: ClassVar[str] = "backoffice.support.credit_remedy_requested"
    event_version: ClassVar[int] = 1
    invoice_id: str
    amount: Money
    reason: str


@register
class CreditRemedyRequested(_Remedy):
    """Billing answers with a CreditNoteIssued carrying ``remedy_id``.

    ``lines`` name the invoice lines credited, as a clerk's credit does; without lines a gross
    ``amount`` is spread over the lines in proportion (as version 1), and without either the
    whole invoice (what is still creditable) is credited."""

    event_type: ClassVar[str] = "backoffice.support.credit_remedy_requested"
    event_version: ClassVar[int] = 2
    invoice_id: str
    lines: list[RemedyCreditLine] = Field(default_factory=list)
    amount: Money | None = None
    reason: str


@upcaster("backoffice.support.credit_remedy_requested", from_version=1)
def _credit_remedy_requested_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["lines"] = []
    return data


@register
class ReshipmentRemedyRequested(_Remedy):
    """Order-service answers with a free OrderShipped whose ``replacement_for`` is ``remedy_id``."""

    event_type: ClassVar[str] = "backoffice.support.reshipment_remedy_requested"
    order_id: str
    lines: list[QuantityLine]


@register
class GoodwillNoteRecorded(_Remedy):
    event_type: ClassVar[str] = "backoffice.support.goodwill_note_recorded"
    note: str


@register
class TicketResolved(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_resolved"
    resolved_at: dt.datetime
    resolution: str = ""


@register
class TicketClosed(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_closed"
    closed_at: dt.datetime


@register
class TicketReopened(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.ticket_reopened"
    reopened_at: dt.datetime
    reason: str = ""


@register
class SatisfactionRated(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.satisfaction_rated"
    score: int = Field(ge=1, le=5)
    comment: str = ""


@register
class SlaBreached(_Ticket):
    event_type: ClassVar[str] = "backoffice.support.sla_breached"
    target: Literal["first_response", "resolution"]
    deadline: dt.datetime
    as_of: dt.datetime


class RemedyOutcome(Part):
    remedy_id: str
    kind: Literal["credit", "reshipment", "goodwill"]
    reference: str | None = None
