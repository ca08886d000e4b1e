"""What the read models answer: tickets with their remedies and history, customer timelines.

Pydantic models because they are also the HTTP response bodies (and the stored answers of
idempotent requests).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel

from backoffice_events.money import Money


class SlaView(BaseModel):
    """The ticket's deadlines and how it is doing against them."""

    first_response_due: dt.datetime
    resolution_due: dt.datetime
    first_responded_at: dt.datetime | None
    first_response_met: bool | None
    breached: list[str]


class RemedyLineView(BaseModel):
    line_no: int
    sku: str
    quantity: int


class RemedyOutcomeView(BaseModel):
    """What the other service did: the credit note or the replacement shipment."""

    reference: str | None
    credit_note_id: str | None = None
    shipment_id: str | None = None
    recorded_at: dt.datetime


class RemedyView(BaseModel):
    remedy_id: str
    kind: Literal["credit", "reshipment", "goodwill"]
    status: Literal["requested", "fulfilled"]
    requested_at: dt.datetime | None
    invoice_id: str | None = None
    order_id: str | None = None
    amount: Money | None = None
    lines: list[RemedyLineView] = []
    reason: str | None = None
    note: str | None = None
    outcome: RemedyOutcomeView | None = None


class SatisfactionView(BaseModel):
    score: int
    comment: str


class HistoryItem(BaseModel):
    """One event of the ticket's stream."""

    version: int
    type: str
    at: dt.datetime
    actor: str | None = None  # who caused it (null for events stored before actors were kept)
    data: dict[str, Any]


class TicketSummary(BaseModel):
    ticket_id: str
    customer_id: str
    order_id: str | None
    invoice_id: str | None
    channel: str
    subject: str
    priority: str
    status: Literal["open", "resolved", "closed"]
    assignee_id: str | None
    opened_at: dt.datetime
    first_response_due: dt.datetime
    resolution_due: dt.datetime
    root_cause: str | None
    resolved_at: dt.datetime | None
    version: int


class TicketView(TicketSummary):
    """A ticket with everything an agent needs on one screen."""

    description: str
    sla: SlaView
    root_cause_notes: str
    resolution: str
    closed_at: dt.datetime | None
    reopen_count: int
    satisfaction: SatisfactionView | None
    remedies: list[RemedyView]
    history: list[HistoryItem]


class TicketPage(BaseModel):
    items: list[TicketSummary]
    next_cursor: str | None


class TimelineItem(BaseModel):
    kind: str
    occurred_at: dt.datetime
    summary: str
    references: dict[str, list[str]]
    amount: Money | None = None


class OpenInvoiceView(BaseModel):
    invoice_id: str
    number: str | None
    due_date: dt.date | None
    gross: Money
    open_amount: Money


class CustomerTimeline(BaseModel):
    customer_id: str
    open_balance: list[Money]
    unapplied_cash: list[Money]
    open_invoices: list[OpenInvoiceView]
    items: list[TimelineItem]
    next_cursor: str | None


class RemedyAnswer(BaseModel):
    """The remedy just requested and the ticket it belongs to."""

    remedy: RemedyView
    ticket: TicketView
