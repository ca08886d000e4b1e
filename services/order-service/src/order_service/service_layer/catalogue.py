"""Catalogue use cases."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, NotFound

from ..adapters.catalogue import get_product, product_stream, save_product
from ..adapters.stock import open_stock
from ..domain.catalogue import Product


async def create_product(
    ctx: ServiceContext, sku: str, name: str, unit_price: Money, vat_rate: Decimal
) -> Product:
    """Add a product; it starts with an empty stock row that orders lock."""
    events = Product.create(sku, name, unit_price, vat_rate)
    async with ctx.engine.begin() as conn:
        if await get_product(conn, sku) is not None:
            raise Conflict(f"product {sku} already exists", field="sku", rule="duplicate-sku")
        await ctx.store.append(conn, product_stream(sku), "product", 0, events, occurred_at=ctx.clock.now())
        product = Product.from_events(events)
        await save_product(conn, product)
        await open_stock(conn, sku)
    return product


async def change_price(
    ctx: ServiceContext, sku: str, unit_price: Money, expected_version: int | None
) -> Product:
    """Set a new list price; orders already placed keep theirs."""
    async with ctx.engine.begin() as conn:
        product = await _locked(conn, sku, expected_version)
        events = product.change_price(unit_price)
        await ctx.store.append(
            conn, product_stream(sku), "product", product.version, events, occurred_at=ctx.clock.now()
        )
        for event in events:
            product.apply(event)
        await save_product(conn, product)
    return product


async def deactivate(ctx: ServiceContext, sku: str, expected_version: int | None) -> Product:
    """Stop selling a product: new orders for it are refused, existing ones keep their lines."""
    async with ctx.engine.begin() as conn:
        product = await _locked(conn, sku, expected_version)
        events = product.deactivate()
        await ctx.store.append(
            conn, product_stream(sku), "product", product.version, events, occurred_at=ctx.clock.now()
        )
        for event in events:
            product.apply(event)
        await save_product(conn, product)
    return product


async def _locked(conn: AsyncConnection, sku: str, expected_version: int | None) -> Product:
    product = await get_product(conn, sku, for_update=True)
    if product is None:
        raise NotFound(f"no product {sku}", field="sku", rule="unknown-sku")
    if expected_version is not None and expected_version != product.version:
        raise Conflict(
            f"product {sku} is at version {product.version}, not {expected_version}",
            field="If-Match",
            rule="version-mismatch",
        )
    return product
