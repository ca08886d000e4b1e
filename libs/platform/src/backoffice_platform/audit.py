"""The audit trail every service answers: who changed an aggregate, when, from which request.

Read straight from the service's event store: each event row keeps its actor (the API key's
principal, the console user, or ``job:<name>``), its time, the correlation id of the request
that caused it and the id of the event that caused it (for consumer-made events).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from backoffice_events.store import driver

from .clock import start_of_day
from .errors import InvalidInput, NotFound
from .http import IsoDate
from .pagination import decode_cursor, encode_cursor

_COLUMNS = (
    "position, event_id::text AS event_id, stream_id, stream_version, type, occurred_at,"
    " actor, correlation_id, causation_id"
)


class AuditedEvent(BaseModel):
    """One recorded change."""

    event_id: str
    stream_id: str
    stream_version: int
    type: str = Field(description="CloudEvents type, e.g. backoffice.billing.invoice_issued.v1")
    occurred_at: dt.datetime
    actor: str | None = Field(description="who caused it; null for events stored before actors were kept")
    correlation_id: str = Field(description="the request (X-Correlation-Id) or chain of events it belongs to")
    causation_id: str | None = Field(description="the event whose handling appended this one")


class AuditTrail(BaseModel):
    stream_id: str
    events: list[AuditedEvent]


class AuditPage(BaseModel):
    items: list[AuditedEvent]
    next_cursor: str | None = None


def _event(row: Any) -> AuditedEvent:
    return AuditedEvent(
        event_id=row["event_id"],
        stream_id=row["stream_id"],
        stream_version=row["stream_version"],
        type=row["type"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        correlation_id=row["correlation_id"],
        causation_id=row["causation_id"],
    )


def audit_router(auditors: Any) -> APIRouter:
    """The audit endpoints, readable by ``auditors`` (a roles dependency)."""
    router = APIRouter(prefix="/audit", tags=["audit"])

    @router.get("/streams/{stream_id}", response_model=AuditTrail, dependencies=[auditors])
    async def stream_trail(request: Request, stream_id: str) -> AuditTrail:
        """Every change of one aggregate (its event stream, e.g. ``invoice-<id>``, ``order-<id>``)
        in order, each with its actor, time, request and cause."""
        async with request.app.state.ctx.engine.connect() as conn:
            rows = await (await driver(conn)).fetch(
                f"SELECT {_COLUMNS} FROM events WHERE stream_id = $1 ORDER BY stream_version",  # noqa: S608
                stream_id,
            )
        if not rows:
            raise NotFound(f"no stream {stream_id!r}", field="stream_id", rule="stream-not-found")
        return AuditTrail(stream_id=stream_id, events=[_event(r) for r in rows])

    @router.get("/events", response_model=AuditPage, dependencies=[auditors])
    async def events(
        request: Request,
        actor: str | None = None,
        correlation_id: str | None = None,
        type: str | None = None,
        since: Annotated[IsoDate | None, Query(description="from this business date on")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        cursor: str | None = None,
    ) -> AuditPage:
        """Changes across aggregates, oldest first: what an actor did, what one request caused."""
        ctx = request.app.state.ctx
        after = decode_cursor(cursor) or {"p": 0}
        if not isinstance(after.get("p"), int):
            raise InvalidInput("cursor is not one this API issued", field="cursor", rule="cursor-invalid")
        async with ctx.engine.connect() as conn:
            rows = await (await driver(conn)).fetch(
                f"SELECT {_COLUMNS} FROM events WHERE position > $1"  # noqa: S608
                " AND ($2::text IS NULL OR actor = $2) AND ($3::text IS NULL OR correlation_id = $3)"
                " AND ($4::text IS NULL OR type = $4) AND ($5::timestamptz IS NULL OR occurred_at >= $5)"
                " ORDER BY position LIMIT $6",
                after["p"],
                actor,
                correlation_id,
                type,
                start_of_day(since, ctx.clock.zone) if since else None,
                limit + 1,
            )
        page = rows[:limit]
        more = len(rows) > limit
        return AuditPage(
            items=[_event(r) for r in page],
            next_cursor=encode_cursor({"p": page[-1]["position"]}) if more else None,
        )

    return router
