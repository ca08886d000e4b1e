"""Tickets: one event stream per ticket, the ``tickets`` and ``ticket_remedies`` read models
(written in the same transaction as the events) and the queries over them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from decimal import Decimal
from typing import Any, cast

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.support import RemedyOutcome
from backoffice_events.money import Money
from backoffice_events.store import EventStore
from backoffice_platform.errors import InvalidInput
from backoffice_platform.pagination import decode_cursor, encode_cursor

from ..domain.remedies import Remedy
from ..domain.reports import OrderFact, RemedyFact, TicketFact
from ..domain.tickets import Ticket, TicketEvent
from .views import (
    HistoryItem,
    RemedyLineView,
    RemedyOutcomeView,
    RemedyView,
    SatisfactionView,
    SlaView,
    TicketPage,
    TicketSummary,
    TicketView,
)

STREAM_TYPE = "ticket"
INTERNAL_EVENTS = frozenset({"ticket_note_added"})
"""Event kinds a partner does not see in a ticket's history."""


def ticket_stream(ticket_id: str) -> str:
    """The event stream of one ticket (also the Kafka key of its events)."""
    return f"ticket-{ticket_id}"


def _money(amount: Any, currency: str | None) -> Money | None:
    if amount is None or currency is None:
        return None
    return Money(Decimal(amount), currency.strip()).rounded()


# write side ---------------------------------------------------------------------------


async def lock_ticket(conn: AsyncConnection, ticket_id: str) -> str | None:
    """Lock the ticket's row until commit (commands on one ticket queue up) and return its
    customer, or ``None`` if there is no such ticket."""
    row = (
        await conn.execute(
            text("SELECT customer_id FROM tickets WHERE ticket_id = :t FOR UPDATE"), {"t": ticket_id}
        )
    ).one_or_none()
    return None if row is None else str(row.customer_id)


async def ticket_customer(conn: AsyncConnection, ticket_id: str) -> str | None:
    """The customer of a ticket, or ``None`` if there is no such ticket."""
    value = await conn.scalar(text("SELECT customer_id FROM tickets WHERE ticket_id = :t"), {"t": ticket_id})
    return None if value is None else str(value)


async def load_ticket(conn: AsyncConnection, store: EventStore, ticket_id: str) -> Ticket | None:
    """The ticket from its events plus the remedy outcomes recorded for it."""
    events, _version = await store.load(conn, ticket_stream(ticket_id))
    if not events:
        return None
    # A ticket's stream holds nothing but ticket events.
    ticket_events = cast(list[TicketEvent], events)
    rows = (
        await conn.execute(
            text(
                "SELECT o.remedy_id, o.kind, o.reference FROM remedy_outcomes o"
                " JOIN ticket_remedies r ON r.remedy_id = o.remedy_id AND r.kind = o.kind"
                " WHERE r.ticket_id = :t AND r.kind <> 'goodwill'"
            ),
            {"t": ticket_id},
        )
    ).all()
    outcomes = [RemedyOutcome(remedy_id=r.remedy_id, kind=r.kind, reference=r.reference) for r in rows]
    return Ticket.rebuild(ticket_events, outcomes)


async def save_ticket(conn: AsyncConnection, ticket: Ticket) -> None:
    """Upsert the ticket's read-model row and insert its new remedies."""
    opened = ticket.opened
    rating = ticket.satisfaction
    await conn.execute(
        text(
            "INSERT INTO tickets (ticket_id, customer_id, order_id, invoice_id, channel, subject,"
            " description, priority, status, assignee_id, opened_at, first_response_due, resolution_due,"
            " first_responded_at, root_cause, root_cause_notes, resolved_at, resolution, closed_at,"
            " reopen_count, satisfaction_score, satisfaction_comment, breached_targets, version)"
            " VALUES (:ticket_id, :customer_id, :order_id, :invoice_id, :channel, :subject, :description,"
            " :priority, :status, :assignee_id, :opened_at, :first_response_due, :resolution_due,"
            " :first_responded_at, :root_cause, :root_cause_notes, :resolved_at, :resolution, :closed_at,"
            " :reopen_count, :score, :comment, :breached, :version)"
            " ON CONFLICT (ticket_id) DO UPDATE SET status = EXCLUDED.status,"
            " assignee_id = EXCLUDED.assignee_id, first_responded_at = EXCLUDED.first_responded_at,"
            " root_cause = EXCLUDED.root_cause, root_cause_notes = EXCLUDED.root_cause_notes,"
            " resolved_at = EXCLUDED.resolved_at, resolution = EXCLUDED.resolution,"
            " closed_at = EXCLUDED.closed_at, reopen_count = EXCLUDED.reopen_count,"
            " satisfaction_score = EXCLUDED.satisfaction_score,"
            " satisfaction_comment = EXCLUDED.satisfaction_comment,"
            " breached_targets = EXCLUDED.breached_targets, version = EXCLUDED.version"
        ),
        {
            "ticket_id": opened.ticket_id,
            "customer_id": opened.customer_id,
            "order_id": opened.order_id,
            "invoice_id": opened.invoice_id,
            "channel": opened.channel,
            "subject": opened.subject,
            "description": opened.description,
            "priority": opened.priority,
            "status": ticket.status,
            "assignee_id": ticket.assignee_id,
            "opened_at": opened.opened_at,
            "first_response_due": opened.first_response_due,
            "resolution_due": opened.resolution_due,
            "first_responded_at": ticket.first_responded_at,
            "root_cause": ticket.root_cause,
            "root_cause_notes": ticket.root_cause_notes,
            "resolved_at": ticket.resolved_at,
            "resolution": ticket.resolution,
            "closed_at": ticket.closed_at,
            "reopen_count": ticket.reopen_count,
            "score": rating.score if rating else None,
            "comment": rating.comment if rating else None,
            "breached": sorted(ticket.breached_targets),
            "version": ticket.version,
        },
    )
    for remedy in ticket.remedies:
        await _insert_remedy(conn, ticket, remedy)


async def _insert_remedy(conn: AsyncConnection, ticket: Ticket, remedy: Remedy) -> None:
    # A remedy request never changes; outcomes live in remedy_outcomes.
    await conn.execute(
        text(
            "INSERT INTO ticket_remedies (remedy_id, ticket_id, customer_id, kind, invoice_id, order_id,"
            " amount, currency, lines, text, requested_at)"
            " VALUES (:remedy_id, :ticket_id, :customer_id, :kind, :invoice_id, :order_id, :amount,"
            " :currency, CAST(:lines AS jsonb), :text, :requested_at) ON CONFLICT (remedy_id) DO NOTHING"
        ),
        {
            "remedy_id": remedy.remedy_id,
            "ticket_id": ticket.ticket_id,
            "customer_id": ticket.customer_id,
            "kind": remedy.kind,
            "invoice_id": remedy.invoice_id,
            "order_id": remedy.order_id,
            "amount": remedy.amount.amount if remedy.amount else None,
            "currency": remedy.amount.currency if remedy.amount else None,
            "lines": orjson.dumps([line.model_dump(mode="json") for line in remedy.lines]).decode(),
            "text": remedy.text,
            "requested_at": remedy.requested_at,
        },
    )


async def pending_credits_elsewhere(
    conn: AsyncConnection, invoice_id: str, ticket_id: str, currency: str
) -> Money:
    """Credits other tickets requested on the invoice that billing has not issued yet."""
    total = await conn.scalar(
        text(
            "SELECT coalesce(sum(r.amount), 0) FROM ticket_remedies r"
            " LEFT JOIN remedy_outcomes o ON o.remedy_id = r.remedy_id"
            " WHERE r.kind = 'credit' AND r.invoice_id = :i AND r.ticket_id <> :t AND r.currency = :c"
            " AND o.remedy_id IS NULL"
        ),
        {"i": invoice_id, "t": ticket_id, "c": currency},
    )
    return Money(Decimal(total or 0), currency)


# read side ---------------------------------------------------------------------------

_SUMMARY_COLUMNS = (
    "ticket_id, customer_id, order_id, invoice_id, channel, subject, priority, status, assignee_id,"
    " opened_at, first_response_due, resolution_due, root_cause, resolved_at, version"
)


def _summary(row: Any) -> dict[str, Any]:
    return {
        "ticket_id": row.ticket_id,
        "customer_id": row.customer_id,
        "order_id": row.order_id,
        "invoice_id": row.invoice_id,
        "channel": row.channel,
        "subject": row.subject,
        "priority": row.priority,
        "status": row.status,
        "assignee_id": row.assignee_id,
        "opened_at": row.opened_at,
        "first_response_due": row.first_response_due,
        "resolution_due": row.resolution_due,
        "root_cause": row.root_cause,
        "resolved_at": row.resolved_at,
        "version": row.version,
    }


async def read_ticket(
    conn: AsyncConnection, store: EventStore, ticket_id: str, *, internal: bool = True
) -> TicketView | None:
    """The ticket with its SLA, remedies and their outcomes, and its history.

    ``internal=False`` leaves internal notes out of the history (partners).
    """
    row = (
        await conn.execute(
            text(
                f"SELECT {_SUMMARY_COLUMNS}, description, first_responded_at, root_cause_notes, resolution,"  # noqa: S608 - fixed column list
                " closed_at, reopen_count, satisfaction_score, satisfaction_comment, breached_targets"
                " FROM tickets WHERE ticket_id = :t"
            ),
            {"t": ticket_id},
        )
    ).one_or_none()
    if row is None:
        return None
    met = None if row.first_responded_at is None else row.first_responded_at <= row.first_response_due
    recorded = await store.read_stream(conn, ticket_stream(ticket_id))
    history = []
    for event in recorded:
        kind = event.envelope.type.rsplit(".", 2)[-2]
        if internal or kind not in INTERNAL_EVENTS:
            history.append(
                HistoryItem(
                    version=event.envelope.stream_version,
                    type=kind,
                    at=event.envelope.time,
                    actor=event.envelope.actor,
                    data=event.envelope.data,
                )
            )
    return TicketView(
        **_summary(row),
        description=row.description,
        sla=SlaView(
            first_response_due=row.first_response_due,
            resolution_due=row.resolution_due,
            first_responded_at=row.first_responded_at,
            first_response_met=met,
            breached=list(row.breached_targets),
        ),
        root_cause_notes=row.root_cause_notes,
        resolution=row.resolution,
        closed_at=row.closed_at,
        reopen_count=row.reopen_count,
        satisfaction=(
            SatisfactionView(score=row.satisfaction_score, comment=row.satisfaction_comment or "")
            if row.satisfaction_score is not None
            else None
        ),
        remedies=await _remedies(conn, ticket_id),
        history=history,
    )


async def _remedies(conn: AsyncConnection, ticket_id: str) -> list[RemedyView]:
    rows = (
        await conn.execute(
            text(
                "SELECT r.remedy_id, r.kind, r.invoice_id, r.order_id, r.amount, r.currency, r.lines::text"
                " AS lines, r.text, r.requested_at, o.reference, o.recorded_at"
                " FROM ticket_remedies r"
                " LEFT JOIN remedy_outcomes o ON o.remedy_id = r.remedy_id AND o.kind = r.kind"
                " WHERE r.ticket_id = :t ORDER BY r.seq"
            ),
            {"t": ticket_id},
        )
    ).all()
    remedies = []
    for r in rows:
        outcome = None
        if r.recorded_at is not None:
            outcome = RemedyOutcomeView(
                reference=r.reference,
                credit_note_id=r.reference if r.kind == "credit" else None,
                shipment_id=r.reference if r.kind == "reshipment" else None,
                recorded_at=r.recorded_at,
            )
        remedies.append(
            RemedyView(
                remedy_id=r.remedy_id,
                kind=r.kind,
                status="fulfilled" if r.kind == "goodwill" or outcome is not None else "requested",
                requested_at=r.requested_at,
                invoice_id=r.invoice_id,
                order_id=r.order_id,
                amount=_money(r.amount, r.currency),
                lines=[RemedyLineView(**line) for line in orjson.loads(r.lines)],
                reason=r.text if r.kind == "credit" else None,
                note=r.text if r.kind == "goodwill" else None,
                outcome=outcome,
            )
        )
    return remedies


async def list_tickets(
    conn: AsyncConnection,
    *,
    customer_id: str | None,
    status: str | None,
    visible_customers: Collection[str] | None,
    cursor: str | None,
    limit: int,
) -> TicketPage:
    """Tickets newest first, filtered; ``visible_customers`` limits a partner to its own."""
    position = decode_cursor(cursor)
    conditions = ["TRUE"]
    params: dict[str, Any] = {"limit": limit + 1}
    if customer_id is not None:
        conditions.append("customer_id = :customer_id")
        params["customer_id"] = customer_id
    if status is not None:
        conditions.append("status = :status")
        params["status"] = status
    if visible_customers is not None:
        conditions.append("customer_id = ANY(:visible)")
        params["visible"] = list(visible_customers)
    if position is not None:
        try:
            params["after_at"] = dt.datetime.fromisoformat(str(position["at"]))
            params["after_id"] = str(position["id"])
        except (KeyError, ValueError):
            raise InvalidInput(
                "cursor is not one this API issued", field="cursor", rule="cursor-invalid"
            ) from None
        conditions.append("(opened_at, ticket_id) < (:after_at, :after_id)")
    # The WHERE clause is built from fixed fragments only; every value is a bound parameter.
    sql = (
        f"SELECT {_SUMMARY_COLUMNS} FROM tickets WHERE {' AND '.join(conditions)}"  # noqa: S608
        " ORDER BY opened_at DESC, ticket_id DESC LIMIT :limit"
    )
    rows = (await conn.execute(text(sql), params)).all()
    items = [TicketSummary(**_summary(r)) for r in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"at": last.opened_at.isoformat(), "id": last.ticket_id})
    return TicketPage(items=items, next_cursor=next_cursor)


async def tickets_with_breaches_due(conn: AsyncConnection, as_of: dt.datetime) -> list[str]:
    """Open tickets with an SLA deadline before ``as_of`` whose breach is not recorded yet."""
    rows = (
        await conn.execute(
            text(
                "SELECT ticket_id FROM tickets WHERE status = 'open' AND ("
                " (first_responded_at IS NULL AND first_response_due < :as_of"
                "  AND NOT 'first_response' = ANY(breached_targets))"
                " OR (resolution_due < :as_of AND NOT 'resolution' = ANY(breached_targets)))"
                " ORDER BY resolution_due, ticket_id"
            ),
            {"as_of": as_of},
        )
    ).all()
    return [r.ticket_id for r in rows]


# report facts ---------------------------------------------------------------------------


async def ticket_facts(conn: AsyncConnection, start: dt.datetime, end: dt.datetime) -> list[TicketFact]:
    """Tickets opened or resolved in ``[start, end)`` (the two cohorts the report uses)."""
    rows = (
        await conn.execute(
            text(
                "SELECT ticket_id, customer_id, opened_at, first_response_due, resolution_due, priority,"
                " root_cause, first_responded_at, resolved_at, cardinality(breached_targets) > 0 AS breached"
                " FROM tickets WHERE (opened_at >= :s AND opened_at < :e)"
                " OR (resolved_at >= :s AND resolved_at < :e)"
            ),
            {"s": start, "e": end},
        )
    ).all()
    return [
        TicketFact(
            ticket_id=r.ticket_id,
            customer_id=r.customer_id,
            opened_at=r.opened_at,
            first_response_due=r.first_response_due,
            resolution_due=r.resolution_due,
            priority=r.priority,
            root_cause=r.root_cause,
            first_response_at=r.first_responded_at,
            resolved_at=r.resolved_at,
            breach_recorded=r.breached,
        )
        for r in rows
    ]


async def remedy_facts(conn: AsyncConnection, start: dt.datetime, end: dt.datetime) -> list[RemedyFact]:
    """Remedies requested in ``[start, end)``."""
    rows = (
        await conn.execute(
            text(
                "SELECT remedy_id, ticket_id, kind, requested_at, amount, currency FROM ticket_remedies"
                " WHERE requested_at >= :s AND requested_at < :e"
            ),
            {"s": start, "e": end},
        )
    ).all()
    return [
        RemedyFact(r.remedy_id, r.ticket_id, r.kind, r.requested_at, _money(r.amount, r.currency))
        for r in rows
    ]


async def order_facts(
    conn: AsyncConnection, customer_ids: Sequence[str], after: dt.datetime
) -> list[OrderFact]:
    """Orders the given customers placed after ``after`` (from OrderPlaced events)."""
    if not customer_ids:
        return []
    rows = (
        await conn.execute(
            text(
                "SELECT order_id, customer_id, placed_at FROM known_orders"
                " WHERE customer_id = ANY(:c) AND placed_at > :after"
            ),
            {"c": list(customer_ids), "after": after},
        )
    ).all()
    return [OrderFact(r.order_id, r.customer_id, r.placed_at) for r in rows]
