"""Stock endpoints: receipts, adjustments and levels per SKU."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backoffice_platform.app import ctx_of, require, with_roles
from backoffice_platform.auth import Principal, Role
from backoffice_platform.errors import NotFound
from backoffice_platform.http import etag, parse_if_match
from backoffice_platform.pagination import encode_cursor

from ..adapters.stock import StockFilter, StockLevel, StockListItem, list_stock, stock_level
from ..service_layer import stock
from ..service_layer.answers import Idempotency
from .common import IDEMPOTENCY_KEY_DOC, Delta, Quantity, cursor_position, respond

router = APIRouter(prefix="/stock", tags=["stock"])

READERS = (Role.ORDER_CLERK, Role.SALES_REP, Role.PARTNER, Role.SUPPORT_AGENT, Role.BILLING_CLERK)


class Receipt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    quantity: Quantity
    reference: str | None = Field(default=None, max_length=200, description="delivery note, return, ...")


class Adjustment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delta: Delta = Field(description="units to add (found) or remove (damaged, lost, counted short)")
    reason: str = Field(min_length=1, max_length=500)


class FilledBackorder(BaseModel):
    order_id: str
    line_no: int
    quantity: int


class StockChange(StockLevel):
    """The stock after the change, and the backordered lines it filled (oldest order first)."""

    filled: list[FilledBackorder]


@router.post("/{sku}/receipts", status_code=201, response_model=StockChange)
async def receive_stock(
    sku: str,
    body: Receipt,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.ORDER_CLERK))],
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_KEY_DOC)] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Goods arrived. Waiting backorders of the SKU are filled in the same transaction."""
    answer = await stock.receive_stock(
        ctx_of(request),
        sku,
        body.quantity,
        body.reference,
        expected_version=parse_if_match(if_match),
        idempotency=Idempotency(
            f"{principal.name}:stock-receipt:{sku}", idempotency_key, body.model_dump(mode="json")
        ),
    )
    return respond(answer)


@router.post("/{sku}/adjustments", status_code=201, response_model=StockChange)
async def adjust_stock(
    sku: str,
    body: Adjustment,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.ORDER_CLERK))],
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_KEY_DOC)] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Correct on hand with a reason; it may not drop below zero nor below what orders hold."""
    answer = await stock.adjust_stock(
        ctx_of(request),
        sku,
        body.delta,
        body.reason,
        expected_version=parse_if_match(if_match),
        idempotency=Idempotency(
            f"{principal.name}:stock-adjustment:{sku}", idempotency_key, body.model_dump(mode="json")
        ),
    )
    return respond(answer)


class StockPage(BaseModel):
    items: list[StockListItem]
    next_cursor: str | None = None


@router.get("", response_model=StockPage, dependencies=[with_roles(*READERS, read=True)])
async def list_stock_levels(
    request: Request,
    q: Annotated[str | None, Query(max_length=200, description="part of the SKU or product name")] = None,
    having: Annotated[
        StockFilter | None, Query(description="only SKUs with units free, none, or backorders")
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StockPage:
    """Stock levels of every product in SKU order: on hand, reserved, available, backordered."""
    position = cursor_position(cursor, "sku")
    async with ctx_of(request).engine.connect() as conn:
        levels = await list_stock(
            conn, q=q or None, having=having, after=position["sku"] if position else None, limit=limit + 1
        )
    page = levels[:limit]
    more = len(levels) > limit
    return StockPage(items=page, next_cursor=encode_cursor({"sku": page[-1].sku}) if more and page else None)


@router.get("/{sku}", response_model=StockLevel, dependencies=[with_roles(*READERS, read=True)])
async def read_stock(sku: str, request: Request, response: Response) -> StockLevel:
    """On hand, reserved, available (on hand - reserved) and backordered units of a SKU."""
    async with ctx_of(request).engine.connect() as conn:
        level = await stock_level(conn, sku)
    if level is None:
        raise NotFound(f"no product {sku}", field="sku", rule="unknown-sku")
    response.headers["ETag"] = etag(level.version)
    return level
