"""Support reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from backoffice_events.money import Money
from backoffice_platform.app import ctx_of, require
from backoffice_platform.auth import Principal, Role

from ..domain.reports import Ratio, SupportReport
from ..service_layer.reports import report_for
from .params import parse_moment, start_of

router = APIRouter(prefix="/reports", tags=["reports"])

Reader = Annotated[Principal, Depends(require(Role.SUPPORT_AGENT, read=True))]


class RatioView(BaseModel):
    part: int
    whole: int
    rate: Decimal | None

    @classmethod
    def of(cls, ratio: Ratio) -> RatioView:
        return cls(part=ratio.part, whole=ratio.whole, rate=ratio.value)


class RemedyTotalsView(BaseModel):
    count: int
    amounts: list[Money]


class RetentionView(BaseModel):
    customers: int
    returned: int
    rate: Decimal | None


class SupportReportView(BaseModel):
    """Ticket measures are over the tickets opened in the period; remedies by when they were
    requested; retention over customers with a ticket resolved in the period who placed an
    order after that resolution."""

    start: dt.datetime
    end: dt.datetime
    tickets_opened: int
    by_root_cause: dict[str, int]
    sla_breaches: RatioView
    median_first_response_seconds: float | None
    median_resolution_seconds: float | None
    remedies: dict[str, RemedyTotalsView]
    retention: RetentionView

    @classmethod
    def of(cls, report: SupportReport) -> SupportReportView:
        def seconds(value: dt.timedelta | None) -> float | None:
            return None if value is None else value.total_seconds()

        ratio = report.retention.ratio
        return cls(
            start=report.period.start,
            end=report.period.end,
            tickets_opened=report.tickets_opened,
            by_root_cause=report.by_root_cause,
            sla_breaches=RatioView.of(report.sla_breach_rate),
            median_first_response_seconds=seconds(report.median_first_response),
            median_resolution_seconds=seconds(report.median_resolution),
            remedies={
                kind: RemedyTotalsView(
                    count=totals.count, amounts=[totals.credited[c] for c in sorted(totals.credited)]
                )
                for kind, totals in report.remedies.items()
            },
            retention=RetentionView(customers=ratio.whole, returned=ratio.part, rate=ratio.value),
        )


@router.get(
    "/support",
    response_model=SupportReportView,
    summary="Root causes, SLA breach rate, median response and resolution times, remedies, retention",
    description="`start` and `end` are ISO dates or date-times with zone; the period is "
    "[start, end), and an `end` given as a date includes that day (dates are days in the company's "
    "time zone).",
)
async def support_report(
    request: Request,
    principal: Reader,
    start: Annotated[str, Query(examples=["2026-01-01"])],
    end: Annotated[str, Query(examples=["2026-01-31"])],
) -> SupportReportView:
    zone = ctx_of(request).clock.zone
    first = start_of(parse_moment(start, "start"), zone)
    last = parse_moment(end, "end")
    until = last if isinstance(last, dt.datetime) else start_of(last + dt.timedelta(days=1), zone)
    return SupportReportView.of(await report_for(ctx_of(request), first, until))
