"""Products: event stream per SKU plus the ``products`` read model."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.money import Money

from ..domain.catalogue import Product


def product_stream(sku: str) -> str:
    return f"product-{sku}"


async def get_product(conn: AsyncConnection, sku: str, *, for_update: bool = False) -> Product | None:
    lock = " FOR UPDATE" if for_update else ""
    row = (
        await conn.execute(
            text(
                "SELECT sku, name, unit_price, currency, vat_rate, active, version FROM products"
                " WHERE sku = :sku" + lock
            ),
            {"sku": sku},
        )
    ).one_or_none()
    if row is None:
        return None
    return Product(
        sku=row.sku,
        name=row.name,
        unit_price=Money(Decimal(row.unit_price), row.currency).rounded(),
        vat_rate=Decimal(row.vat_rate),
        active=row.active,
        version=row.version,
    )


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
