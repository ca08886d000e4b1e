"""The customer's history as support sees it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from backoffice_platform.app import ctx_of, require
from backoffice_platform.auth import Principal, Role
from backoffice_platform.errors import NotFound

from ..adapters.history import customer_known, read_timeline
from ..adapters.views import CustomerTimeline

router = APIRouter(prefix="/customers", tags=["customers"])

Reader = Annotated[Principal, Depends(require(Role.SUPPORT_AGENT, Role.PARTNER, read=True))]


@router.get(
    "/{customer_id}/timeline",
    response_model=CustomerTimeline,
    summary="Orders, shipments, invoices, payments, credit notes and tickets in one timeline, oldest first",
)
async def customer_timeline(
    customer_id: str,
    request: Request,
    principal: Reader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CustomerTimeline:
    async with ctx_of(request).engine.connect() as conn:
        if not principal.can_see_customer(customer_id) or not await customer_known(conn, customer_id):
            raise NotFound(f"no customer {customer_id}", field="customer_id", rule="unknown-customer")
        return await read_timeline(conn, customer_id, cursor, limit)
