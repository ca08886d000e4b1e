"""Keeping the chart of accounts over HTTP (accountants and admins); everyone who reads the
books reads the published chart."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.catalog.chart import AccountType
from backoffice_platform.app import ctx_of, require
from backoffice_platform.auth import Principal, Role

from ..domain.chart import ChartAccount
from ..service_layer import chart

router = APIRouter(tags=["chart of accounts"])

Accountant = Annotated[Principal, Depends(require(Role.ACCOUNTANT))]
ChartReader = Annotated[
    Principal,
    Depends(require(Role.BILLING_CLERK, Role.PAYABLES_CLERK, Role.APPROVER, Role.ACCOUNTANT, read=True)),
]
AccountCode = Annotated[str, Path(min_length=1, max_length=20, pattern=r"^[0-9A-Za-z._-]+$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewAccount(_Model):
    code: str = Field(min_length=1, max_length=20, description="4 to 6 digits, not yet in the chart")
    name: str = Field(min_length=1, max_length=200)
    account_type: AccountType = Field(description="asset, liability, equity, income or expense")


class AccountName(_Model):
    name: str = Field(min_length=1, max_length=200)


class ChartAccountView(_Model):
    code: str
    name: str
    account_type: AccountType
    role: str | None = Field(description="the posting rule's role for system accounts; null otherwise")
    status: str = Field(description="open or closed")

    @classmethod
    def of(cls, account: ChartAccount) -> ChartAccountView:
        return cls(
            code=account.code,
            name=account.name,
            account_type=account.account_type,
            role=account.role,
            status="open" if account.open else "closed",
        )


class ChartView(_Model):
    items: list[ChartAccountView]


@router.get("/chart", response_model=ChartView, summary="The published chart of accounts, open and closed")
async def read_chart(request: Request, principal: ChartReader) -> ChartView:
    accounts = await chart.published_chart(ctx_of(request))
    return ChartView(items=[ChartAccountView.of(a) for a in accounts])


@router.post(
    "/accounts",
    status_code=201,
    response_model=ChartAccountView,
    summary="Open an account (published as AccountOpened)",
)
async def open_account(body: NewAccount, request: Request, principal: Accountant) -> ChartAccountView:
    account = await chart.open_account(ctx_of(request), body.code, body.name, body.account_type)
    return ChartAccountView.of(account)


@router.post(
    "/accounts/{code}/rename", response_model=ChartAccountView, summary="Rename an account (AccountRenamed)"
)
async def rename_account(
    code: AccountCode, body: AccountName, request: Request, principal: Accountant
) -> ChartAccountView:
    return ChartAccountView.of(await chart.rename_account(ctx_of(request), code, body.name))


@router.post(
    "/accounts/{code}/close",
    response_model=ChartAccountView,
    summary="Close an account without a balance (AccountClosed); system accounts stay open",
)
async def close_account(code: AccountCode, request: Request, principal: Accountant) -> ChartAccountView:
    return ChartAccountView.of(await chart.close_account(ctx_of(request), code, principal.name))
