"""Products: event stream per SKU plus the ``products`` read model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.money import Money

from ..domain.catalogue import Product

_SELECT = text(
    "SELECT sku, name, unit_price, currency, vat_rate, active, version FROM products WHERE sku = :sku"
)
_SELECT_FOR_UPDATE = text(
    "SELECT sku, name, unit_price, currency, vat_rate, active, version FROM products WHERE sku = :sku"
    " FOR UPDATE"
)


def product_stream(sku: str) -> str:
    return f"product-{sku}"


async def get_product(conn: AsyncConnection, sku: str, *, for_update: bool = False) -> Product | None:
    row = (await conn.execute(_SELECT_FOR_UPDATE if for_update else _SELECT, {"sku": sku})).one_or_none()
    return _product(row) if row is not None else None


async def save_product(conn: AsyncConnection, product: Product) -> None:
    """Upsert the read model row from the product's current state."""
    await conn.execute(
        text(
            "INSERT INTO products (sku, name, unit_price, currency, vat_rate, active, version)"
            " VALUES (:sku, :name, :price, :currency, :vat, :active, :version)"
            " ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, unit_price = EXCLUDED.unit_price,"
            " currency = EXCLUDED.currency, vat_rate = EXCLUDED.vat_rate, active = EXCLUDED.active,"
            " version = EXCLUDED.version"
        ),
        {
            "sku": product.sku,
            "name": product.name,
            "price": product.unit_price.amount,
            "currency": product.unit_price.currency,
            "vat": product.vat_rate,
            "active": product.active,
            "version": product.version,
        },
    )


async def get_products(conn: AsyncConnection, skus: list[str]) -> dict[str, Product]:
    """The products of ``skus`` that exist, by SKU."""
    rows = await conn.execute(
        text(
            "SELECT sku, name, unit_price, currency, vat_rate, active, version FROM products"
            " WHERE sku = ANY(:skus)"
        ),
        {"skus": sorted(set(skus))},
    )
    return {row.sku: _product(row) for row in rows}


async def list_products(
    conn: AsyncConnection, *, active: bool | None, after: str | None, limit: int
) -> list[Product]:
    """Products in SKU order after the keyset position ``after``."""
    rows = await conn.execute(
        text(
            "SELECT sku, name, unit_price, currency, vat_rate, active, version FROM products"
            " WHERE (CAST(:after AS text) IS NULL OR sku > CAST(:after AS text))"
            " AND (CAST(:active AS boolean) IS NULL OR active = CAST(:active AS boolean))"
            " ORDER BY sku LIMIT :limit"
        ),
        {"after": after, "active": active, "limit": limit},
    )
    return [_product(row) for row in rows]


def _product(row: Any) -> Product:
    return Product(
        sku=row.sku,
        name=row.name,
        unit_price=Money(Decimal(row.unit_price), row.currency).rounded(),
        vat_rate=Decimal(row.vat_rate).normalize(),  # numeric(6, 4) pads: 0.2100 -> 0.21
        active=row.active,
        version=row.version,
    )
