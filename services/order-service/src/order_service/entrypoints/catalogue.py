"""Catalogue endpoints."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.money import Money
from backoffice_platform.app import ctx_of, with_roles
from backoffice_platform.auth import Role
from backoffice_platform.errors import NotFound
from backoffice_platform.http import MoneyInput, etag, parse_if_match
from backoffice_platform.pagination import encode_cursor

from ..adapters.catalogue import get_product, list_products
from ..domain.catalogue import Product
from ..service_layer import catalogue
from .common import cursor_position

router = APIRouter(prefix="/products", tags=["catalogue"])

READERS = (Role.ORDER_CLERK, Role.SALES_REP, Role.PARTNER, Role.SUPPORT_AGENT, Role.BILLING_CLERK)


class NewProduct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=200)
    unit_price: MoneyInput
    vat_rate: Decimal = Field(ge=0, le=1, description="fraction, 0.21 for 21 %")


class PriceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit_price: MoneyInput


class ProductView(BaseModel):
    sku: str
    name: str
    unit_price: Money
    vat_rate: Decimal
    active: bool
    version: int

    @classmethod
    def of(cls, p: Product) -> ProductView:
        return cls(
            sku=p.sku,
            name=p.name,
            unit_price=p.unit_price,
            vat_rate=p.vat_rate,
            active=p.active,
            version=p.version,
        )


class ProductPage(BaseModel):
    items: list[ProductView]
    next_cursor: str | None


@router.post("", status_code=201, response_model=ProductView, dependencies=[with_roles(Role.ORDER_CLERK)])
async def create_product(body: NewProduct, request: Request, response: Response) -> ProductView:
    product = await catalogue.create_product(
        ctx_of(request), body.sku, body.name, body.unit_price, body.vat_rate
    )
    response.headers["ETag"] = etag(product.version)
    return ProductView.of(product)


@router.get(
    "/{sku}",
    response_model=ProductView,
    dependencies=[with_roles(*READERS, read=True)],
)
async def read_product(sku: str, request: Request, response: Response) -> ProductView:
    async with ctx_of(request).engine.connect() as conn:
        product = await get_product(conn, sku)
    if product is None:
        raise NotFound(f"no product {sku}", field="sku", rule="unknown-sku")
    response.headers["ETag"] = etag(product.version)
    return ProductView.of(product)


@router.put("/{sku}/price", response_model=ProductView, dependencies=[with_roles(Role.ORDER_CLERK)])
async def change_price(
    sku: str,
    body: PriceChange,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ProductView:
    product = await catalogue.change_price(ctx_of(request), sku, body.unit_price, parse_if_match(if_match))
    response.headers["ETag"] = etag(product.version)
    return ProductView.of(product)


@router.post("/{sku}/deactivate", response_model=ProductView, dependencies=[with_roles(Role.ORDER_CLERK)])
async def deactivate_product(
    sku: str,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> ProductView:
    """Stop selling the product: new orders for it are refused; placed orders keep their lines."""
    product = await catalogue.deactivate(ctx_of(request), sku, parse_if_match(if_match))
    response.headers["ETag"] = etag(product.version)
    return ProductView.of(product)


@router.get("", response_model=ProductPage, dependencies=[with_roles(*READERS, read=True)])
async def list_catalogue(
    request: Request,
    active: bool | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ProductPage:
    """Products in SKU order, a page at a time (``next_cursor`` fetches the next page)."""
    position = cursor_position(cursor, "sku")
    async with ctx_of(request).engine.connect() as conn:
        products = await list_products(
            conn, active=active, after=position["sku"] if position else None, limit=limit + 1
        )
    page = products[:limit]
    more = len(products) > limit
    return ProductPage(
        items=[ProductView.of(p) for p in page],
        next_cursor=encode_cursor({"sku": page[-1].sku}) if more and page else None,
    )
