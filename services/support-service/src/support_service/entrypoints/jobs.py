"""Running time-dependent jobs by hand for a given moment."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from pydantic import BaseModel

from backoffice_platform.app import ctx_of, with_roles
from backoffice_platform.auth import Role

from ..service_layer.sla import as_of_moment, record_sla_breaches
from .params import parse_moment

router = APIRouter(prefix="/jobs", tags=["jobs"])


class BreachView(BaseModel):
    ticket_id: str
    customer_id: str
    target: str
    deadline: dt.datetime


class SlaRun(BaseModel):
    as_of: dt.datetime
    breaches: list[BreachView]


@router.post(
    "/sla-breaches",
    response_model=SlaRun,
    dependencies=[with_roles(Role.SUPPORT_AGENT)],
    summary="Record the SLA breaches due by as_of",
    description="`as_of`: an ISO date-time with zone, or a date (the end of that day in the company's "
    "time zone); "
    "default now. It may not lie in the future.",
)
async def run_sla_breaches(request: Request, as_of: str | None = None) -> SlaRun:
    ctx = ctx_of(request)
    moment = as_of_moment(ctx, parse_moment(as_of, "as_of") if as_of is not None else None)
    breaches = await record_sla_breaches(ctx, moment)
    return SlaRun(
        as_of=moment,
        breaches=[
            BreachView(ticket_id=b.ticket_id, customer_id=b.customer_id, target=b.target, deadline=b.deadline)
            for b in breaches
        ],
    )
