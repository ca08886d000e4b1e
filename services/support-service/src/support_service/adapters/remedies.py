"""Remedy outcomes: billing's credit notes and order-service's replacement shipments that
answer a remedy a ticket requested."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.consumer import ConsumedEvent, PermanentError

from ..domain.remedies import remedy_outcome_of
from .history import project_history


async def project_and_fulfil(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
    """Consumer handler for ``CreditNoteIssued`` and ``OrderShipped``: the remedy outcome and
    the history in one transaction, so a fulfilled credit and the invoice's reduced open
    amount are seen together (checks of new credits never see one without the other)."""
    await record_remedy_outcome(conn, consumed)
    await project_history(conn, consumed)


async def record_remedy_outcome(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
    """A ``CreditNoteIssued`` with a ``remedy_id`` or an ``OrderShipped`` with
    ``replacement_for`` fulfils that remedy; other events of those types are no outcome.

    The outcome is stored even if the remedy is not known yet (a rebuild may read the orders
    or billing topic first); the ticket shows it once both are there. An outcome that does not
    fit the remedy (another kind, or a second, different outcome) can never apply: the event
    is dead-lettered with the reason, to be looked at and replayed.
    """
    outcome = remedy_outcome_of(consumed.event)
    if outcome is None:
        return
    requested = await conn.scalar(
        text("SELECT kind FROM ticket_remedies WHERE remedy_id = :r"), {"r": outcome.remedy_id}
    )
    if requested is not None and requested != outcome.kind:
        raise PermanentError(f"remedy {outcome.remedy_id} is a {requested}, not a {outcome.kind}")
    inserted = await conn.scalar(
        text(
            "INSERT INTO remedy_outcomes (remedy_id, kind, reference, event_id, recorded_at)"
            " VALUES (:r, :k, :ref, :e, :at) ON CONFLICT (remedy_id) DO NOTHING RETURNING remedy_id"
        ),
        {
            "r": outcome.remedy_id,
            "k": outcome.kind,
            "ref": outcome.reference,
            "e": consumed.envelope.id,
            "at": consumed.envelope.time,
        },
    )
    if inserted is None:
        existing = (
            await conn.execute(
                text("SELECT kind, reference FROM remedy_outcomes WHERE remedy_id = :r"),
                {"r": outcome.remedy_id},
            )
        ).one()
        if (existing.kind, existing.reference) != (outcome.kind, outcome.reference):
            raise PermanentError(
                f"remedy {outcome.remedy_id} was already fulfilled by {existing.reference};"
                f" {outcome.reference} cannot fulfil it again"
            )
