"""Catalogue use cases."""

from __future__ import annotations

from decimal import Decimal

from backoffice_events.money import Money
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, NotFound

from ..adapters.catalogue import get_product, product_stream, save_product
from ..domain.catalogue import Product


async def create_product(
    ctx: ServiceContext, sku: str, name: str, unit_price: Money, vat_rate: Decimal
) -> Product:
    events = Product.create(sku, name, unit_price, vat_rate)
    async with ctx.engine.begin() as conn:
        if await get_product(conn, sku) is not None:
            raise Conflict(f"product {sku} already exists", field="sku", rule="duplicate-sku")
        await ctx.store.append(conn, product_stream(sku), "product", 0, events)
        product = Product.from_events(events)
        await save_product(conn, product)
    return product


async def change_price(
    ctx: ServiceContext, sku: str, unit_price: Money, expected_version: int | None
) -> Product:
    async with ctx.engine.begin() as conn:
        product = await get_product(conn, sku, for_update=True)
        if product is None:
            raise NotFound(f"no product {sku}", field="sku", rule="unknown-sku")
        if expected_version is not None and expected_version != product.version:
            raise Conflict(
                f"product {sku} is at version {product.version}, not {expected_version}",
                field="If-Match",
                rule="version-mismatch",
            )
        events = product.change_price(unit_price)
        await ctx.store.append(conn, product_stream(sku), "product", product.version, events)
        for event in events:
            product.apply(event)
        await save_product(conn, product)
    return product
