"""Unapplied cash endpoints: a customer's one balance of unapplied cash (payments' and credit
notes' surplus alike), applying it by hand, and the account's automatic-application setting."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.money import Money
from backoffice_platform.app import ctx_of
from backoffice_platform.http import etag, parse_if_match

from ..domain.cash import CashSource, CashSourceKind
from ..service_layer import unapplied
from ..service_layer.unapplied import UnappliedCashDetails
from .common import BillingClerk, EnteredMoney, IdempotencyKey, IfMatch, ReceivablesReader, answer, keyed
from .receivables import AccountView

router = APIRouter(tags=["receivables"])


class CashSourceView(BaseModel):
    source_id: str = Field(description="the payment id or credit note id the cash came from")
    kind: CashSourceKind
    received_on: dt.date = Field(description="received (payment) or issued (credit note)")
    unapplied: Money

    @classmethod
    def of(cls, source: CashSource) -> CashSourceView:
        return cls(
            source_id=source.source_id,
            kind=source.kind,
            received_on=source.received_on,
            unapplied=source.unapplied,
        )


class UnappliedCashView(BaseModel):
    customer_id: str
    unapplied_cash: Money = Field(description="the customer's whole unapplied cash, whatever its source")
    auto_apply_cash: bool
    sources: list[CashSourceView] = Field(description="sources still holding unapplied cash, oldest first")

    @classmethod
    def of(cls, details: UnappliedCashDetails) -> UnappliedCashView:
        return cls(
            customer_id=details.customer_id,
            unapplied_cash=details.balance,
            auto_apply_cash=details.auto_apply_cash,
            sources=[CashSourceView.of(source) for source in details.sources],
        )


class CashApplication(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: str = Field(min_length=1, max_length=100)
    amount: EnteredMoney
    source_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="take it from this source only (default: oldest first)",
    )


class CashApplicationSetting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    auto_apply_cash: bool = Field(description="apply unapplied cash to each new invoice automatically")


@router.get("/customers/{customer_id}/unapplied-cash", response_model=UnappliedCashView)
async def read_unapplied_cash(
    customer_id: str, request: Request, principal: ReceivablesReader
) -> UnappliedCashView:
    """The customer's unapplied cash by source (payments' and credit notes' surplus)."""
    return UnappliedCashView.of(await unapplied.unapplied_cash(ctx_of(request), customer_id))


@router.post(
    "/customers/{customer_id}/unapplied-cash/applications", status_code=201, response_model=UnappliedCashView
)
async def apply_unapplied_cash(
    customer_id: str,
    body: CashApplication,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> UnappliedCashView | JSONResponse:
    """Apply unapplied cash of the customer, whatever its source, to an open invoice by hand."""
    outcome = await unapplied.apply_cash(
        ctx_of(request),
        customer_id,
        body.invoice_id,
        body.amount,
        body.source_id,
        keyed(principal, f"apply-cash:{customer_id}", idempotency_key, body, UnappliedCashView.of),
    )
    return answer(outcome, UnappliedCashView.of)


@router.put("/accounts/{customer_id}/cash-application", response_model=AccountView)
async def set_cash_application(
    customer_id: str,
    body: CashApplicationSetting,
    request: Request,
    response: Response,
    principal: BillingClerk,
    if_match: IfMatch = None,
) -> AccountView:
    """Whether the customer's unapplied cash is applied to new invoices automatically."""
    held = await unapplied.set_cash_application(
        ctx_of(request), customer_id, body.auto_apply_cash, parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(held.account.version)
    return AccountView.of(held)
