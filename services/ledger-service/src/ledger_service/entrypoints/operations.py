"""Operating the books: the invariant check and rebuilds from the topics."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from backoffice_platform.app import ctx_of, with_roles
from backoffice_platform.auth import Role
from backoffice_platform.http import IsoDate

from ..service_layer import rebuild
from ..service_layer.checks import check_books, missing_events

router = APIRouter(tags=["operations"])

READERS = with_roles(Role.BILLING_CLERK, Role.PAYABLES_CLERK, Role.APPROVER, Role.ACCOUNTANT, read=True)


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeadLetterView(_View):
    event_type: str | None = Field(description="the record's CloudEvents type; null if unreadable")
    event_id: str | None
    topic: str
    partition: int
    offset: int
    reason: str
    dead_lettered_at: dt.datetime


class InvariantsView(_View):
    as_of: dt.date
    ok: bool
    violations: list[str]
    dead_letters: list[DeadLetterView] = Field(
        default_factory=list,
        description="events the ledger dead-lettered and has not posted since (books-incomplete)",
    )


@router.get(
    "/checks/invariants",
    response_model=InvariantsView,
    dependencies=[READERS],
    summary="Check the ledger's invariants at a date (entries balance, control accounts equal"
    " their subledgers, trial balance nets to zero, AR/AP equal the open items, and no event is"
    " missing: books-incomplete lists what the ledger dead-lettered)",
)
async def invariants(
    request: Request,
    as_of: Annotated[IsoDate | None, Query(description="YYYY-MM-DD; default today")] = None,
) -> InvariantsView:
    ctx = ctx_of(request)
    day = as_of or ctx.clock.today()
    violations = await check_books(ctx.engine, day)
    missing = await missing_events(ctx.engine)
    return InvariantsView(
        as_of=day,
        ok=not violations,
        violations=violations,
        dead_letters=[
            DeadLetterView(
                event_type=d.event_type,
                event_id=d.event_id,
                topic=d.topic,
                partition=d.partition,
                offset=d.offset,
                reason=d.reason,
                dead_lettered_at=d.dead_lettered_at,
            )
            for d in missing
        ],
    )


class RebuildView(_View):
    generation: int
    previous: int
    state: str
    started_at: dt.datetime | None = None
    heartbeat_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    records_target: int
    records_done: int
    events_applied: int
    books_equal: bool | None
    detail: str | None


class RebuildStatusView(_View):
    state: str = Field(description="summary of the latest rebuild: idle (none yet), running, done or failed")
    processed: int = Field(description="records of the topics replayed so far")
    target: int = Field(description="records to replay (the topics' size when the rebuild started)")
    active_generation: int
    pending_generation: int | None
    rebuild: RebuildView | None = Field(description="the latest rebuild in detail")


_SUMMARY = {"running": "running", "switched": "done", "failed": "failed", "abandoned": "failed"}


@router.post(
    "/rebuild",
    status_code=202,
    response_model=RebuildView,
    dependencies=[with_roles(Role.ADMIN)],
    summary="Rebuild the books from the topics in the background; reads stay online and"
    " switch to the new books once they have caught up",
    responses={409: {"description": "a rebuild is already running"}},
)
async def start_rebuild(request: Request) -> RebuildView:
    job = await rebuild.start_rebuild_in_background(ctx_of(request))
    return RebuildView(
        generation=job.generation,
        previous=job.previous,
        state=job.state.value,
        records_target=job.records_target,
        records_done=job.records_done,
        events_applied=job.events_applied,
        books_equal=job.books_equal,
        detail=job.detail,
    )


@router.get(
    "/rebuild/status",
    response_model=RebuildStatusView,
    dependencies=[READERS],
    summary="Active generation of the books and the latest rebuild's progress",
)
async def rebuild_status(request: Request) -> RebuildStatusView:
    status = await rebuild.rebuild_status(ctx_of(request))
    last = status.last
    return RebuildStatusView(
        state="idle" if last is None else "failed" if last.stale else _SUMMARY[last.state],
        processed=0 if last is None else last.records_done,
        target=0 if last is None else last.records_target,
        active_generation=status.active,
        pending_generation=status.pending,
        rebuild=None
        if last is None
        else RebuildView(
            generation=last.generation,
            previous=last.previous,
            state="stale" if last.stale else last.state,
            started_at=last.started_at,
            heartbeat_at=last.heartbeat_at,
            finished_at=last.finished_at,
            records_target=last.records_target,
            records_done=last.records_done,
            events_applied=last.events_applied,
            books_equal=last.books_equal,
            detail=last.detail,
        ),
    )
