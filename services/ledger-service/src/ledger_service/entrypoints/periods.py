"""Fiscal periods (close, reopen, list) and manual journal entries (propose, approve, reject,
reverse). Writes need the accountant role (or admin); the actor is the caller's principal.

Refusals: ``period-closed`` is 409 (the books are locked at that date: the request may work
after a reopening), ``approver-is-author`` 403, malformed entries 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.catalog.ledger import ManualJournalLine
from backoffice_events.money import Money, format_amount
from backoffice_platform.app import ctx_of, require
from backoffice_platform.auth import Principal, Role
from backoffice_platform.http import IsoDate

from ..domain.manual_entries import ManualEntry
from ..domain.periods import Period
from ..service_layer import manual_entries, periods

router = APIRouter(tags=["periods and manual entries"])

Accountant = Annotated[Principal, Depends(require(Role.ACCOUNTANT))]
Reader = Annotated[
    Principal,
    Depends(require(Role.BILLING_CLERK, Role.PAYABLES_CLERK, Role.APPROVER, Role.ACCOUNTANT, read=True)),
]
PeriodText = Annotated[str, Path(description="the period, YYYY-MM", min_length=7, max_length=7)]
EntryId = Annotated[str, Path(min_length=1, max_length=100)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# periods -------------------------------------------------------------------------------------


class PeriodView(_Body):
    period: str
    fiscal_year: int
    first_day: dt.date
    last_day: dt.date
    status: Literal["open", "closed"]
    closed_by: str | None
    closed_at: dt.datetime | None
    reopened_by: str | None
    reopened_at: dt.datetime | None
    reopen_reason: str | None


class PeriodsView(_Body):
    lock_date: dt.date | None = Field(description="nothing posts on or before this date; null: none")
    periods: list[PeriodView]


class PeriodChange(_Body):
    period: str
    lock_date: dt.date | None
    by: str
    at: dt.datetime


class Reopening(_Body):
    reason: str = Field(min_length=1, max_length=500)


@router.get("/periods", response_model=PeriodsView, summary="Fiscal periods, their status and the lock date")
async def list_periods(request: Request, _: Reader) -> PeriodsView:
    found = await periods.periods_overview(ctx_of(request))
    return PeriodsView(
        lock_date=found.lock_date,
        periods=[
            PeriodView(
                period=str(p.period),
                fiscal_year=p.fiscal_year,
                first_day=p.period.first_day,
                last_day=p.period.last_day,
                status="closed" if p.closed else "open",
                closed_by=p.record.closed_by if p.record else None,
                closed_at=p.record.closed_at if p.record else None,
                reopened_by=p.record.reopened_by if p.record else None,
                reopened_at=p.record.reopened_at if p.record else None,
                reopen_reason=p.record.reopen_reason if p.record else None,
            )
            for p in found.periods
        ],
    )


@router.post(
    "/periods/{period}/close", response_model=PeriodChange, summary="Close a period (sets the lock date)"
)
async def close_period(period: PeriodText, request: Request, principal: Accountant) -> PeriodChange:
    closed = await periods.close_period(ctx_of(request), Period.parse(period), principal.name)
    return PeriodChange(
        period=closed.period, lock_date=closed.lock_date, by=closed.closed_by, at=closed.closed_at
    )


@router.post(
    "/periods/{period}/reopen", response_model=PeriodChange, summary="Reopen the latest closed period"
)
async def reopen_period(
    period: PeriodText, body: Reopening, request: Request, principal: Accountant
) -> PeriodChange:
    reopened = await periods.reopen_period(ctx_of(request), Period.parse(period), body.reason, principal.name)
    return PeriodChange(
        period=reopened.period, lock_date=reopened.lock_date, by=reopened.reopened_by, at=reopened.reopened_at
    )


# manual journal entries ------------------------------------------------------------------


class EntryLineIn(_Body):
    account: str = Field(min_length=1, max_length=20)
    side: Literal["debit", "credit"]
    amount: str = Field(
        description="decimal string, positive", max_length=30, pattern=r"^-?[0-9]+(\.[0-9]+)?$"
    )
    currency: str = Field(min_length=3, max_length=3)


class NewEntry(_Body):
    date: IsoDate
    description: str = Field(min_length=1, max_length=500)
    lines: list[EntryLineIn] = Field(max_length=200)


class Reversal(_Body):
    date: IsoDate
    reason: str = Field(min_length=1, max_length=500)


class Rejection(_Body):
    reason: str = Field(min_length=1, max_length=500)


class EntryLineView(_Body):
    account: str
    side: str
    amount: str
    currency: str


class EntryView(_Body):
    entry_id: str
    status: str
    date: dt.date
    description: str
    lines: list[EntryLineView]
    proposed_by: str
    approved_by: str | None
    rejected_by: str | None
    rejection_reason: str | None
    reverses: str | None
    reversed_by_entry: str | None

    @classmethod
    def of(cls, e: ManualEntry) -> EntryView:
        return cls(
            entry_id=e.entry_id,
            status=e.status.value,
            date=e.entry_date,
            description=e.description,
            lines=[
                EntryLineView(
                    account=x.account,
                    side=x.side,
                    amount=format_amount(x.amount.amount, x.amount.currency),
                    currency=x.amount.currency,
                )
                for x in e.lines
            ],
            proposed_by=e.proposed_by,
            approved_by=e.approved_by,
            rejected_by=e.rejected_by,
            rejection_reason=e.rejection_reason,
            reverses=e.reverses,
            reversed_by_entry=e.reversal_entry_id,
        )


class ReversalView(_Body):
    original: EntryView
    reversal: EntryView


class EntryPage(_Body):
    items: list[EntryView]


def _lines(body: NewEntry) -> list[ManualJournalLine]:
    from decimal import Decimal

    return [
        ManualJournalLine(account=x.account, side=x.side, amount=Money(Decimal(x.amount), x.currency.upper()))
        for x in body.lines
    ]


@router.post(
    "/journal-entries", response_model=EntryView, status_code=201, summary="Propose a manual journal entry"
)
async def propose_entry(body: NewEntry, request: Request, principal: Accountant) -> EntryView:
    entry = await manual_entries.propose_entry(
        ctx_of(request), body.date, body.description, _lines(body), principal.name
    )
    return EntryView.of(entry)


@router.get("/journal-entries", response_model=EntryPage, summary="Manual journal entries")
async def list_entries(
    request: Request,
    _: Reader,
    status: Annotated[Literal["proposed", "posted", "rejected", "reversed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EntryPage:
    found = await manual_entries.entries(ctx_of(request), status, limit)
    return EntryPage(items=[EntryView.of(e) for e in found])


@router.get("/journal-entries/{entry_id}", response_model=EntryView, summary="One manual journal entry")
async def get_entry(entry_id: EntryId, request: Request, _: Reader) -> EntryView:
    return EntryView.of(await manual_entries.get(ctx_of(request), entry_id))


@router.post(
    "/journal-entries/{entry_id}/approve", response_model=EntryView, summary="Approve and post an entry"
)
async def approve_entry(entry_id: EntryId, request: Request, principal: Accountant) -> EntryView:
    return EntryView.of(await manual_entries.approve_entry(ctx_of(request), entry_id, principal.name))


@router.post(
    "/journal-entries/{entry_id}/reject", response_model=EntryView, summary="Reject a proposed entry"
)
async def reject_entry(
    entry_id: EntryId, body: Rejection, request: Request, principal: Accountant
) -> EntryView:
    return EntryView.of(
        await manual_entries.reject_entry(ctx_of(request), entry_id, principal.name, body.reason)
    )


@router.post(
    "/journal-entries/{entry_id}/reverse",
    response_model=ReversalView,
    status_code=201,
    summary="Reverse a posted entry",
)
async def reverse_entry(
    entry_id: EntryId, body: Reversal, request: Request, principal: Accountant
) -> ReversalView:
    original, reversal = await manual_entries.reverse_entry(
        ctx_of(request), entry_id, body.date, principal.name, body.reason
    )
    return ReversalView(original=EntryView.of(original), reversal=EntryView.of(reversal))
