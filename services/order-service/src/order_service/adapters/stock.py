"""Stock: event stream per SKU plus the ``stock`` and ``backorders`` read models."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_platform.search import contains_pattern

from ..domain.stock import BackorderedLine, Stock


def stock_stream(sku: str) -> str:
    return f"stock-{sku}"


class StockLevel(BaseModel):
    """Units of one SKU: on hand, promised to orders, free to promise, and still owed to orders."""

    sku: str
    on_hand: int
    reserved: int
    available: int
    backordered: int
    version: int


async def open_stock(conn: AsyncConnection, sku: str) -> None:
    """Give a new product its (empty) stock row, so orders can lock it."""
    await conn.execute(
        text("INSERT INTO stock (sku) VALUES (:sku) ON CONFLICT (sku) DO NOTHING"), {"sku": sku}
    )


async def lock_stock(conn: AsyncConnection, skus: Iterable[str]) -> dict[str, Stock]:
    """Lock the stock rows of ``skus`` until commit and return them; unknown SKUs are left out.

    The rows are locked in SKU order, in one statement, by every command that locks more than
    one: two orders for the same SKUs then queue instead of deadlocking.
    """
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await conn.execute(
        text(
            "SELECT sku, on_hand, reserved, version FROM stock WHERE sku = ANY(:skus) ORDER BY sku FOR UPDATE"
        ),
        {"skus": wanted},
    )
    return {
        row.sku: Stock(sku=row.sku, on_hand=row.on_hand, reserved=row.reserved, version=row.version)
        for row in rows
    }


async def save_stock(conn: AsyncConnection, stock: Stock) -> None:
    await conn.execute(
        text(
            "UPDATE stock SET on_hand = :on_hand, reserved = :reserved, version = :version WHERE sku = :sku"
        ),
        {"sku": stock.sku, "on_hand": stock.on_hand, "reserved": stock.reserved, "version": stock.version},
    )


async def stock_level(conn: AsyncConnection, sku: str) -> StockLevel | None:
    row = (
        await conn.execute(
            text(
                "SELECT s.sku, s.on_hand, s.reserved, s.version,"
                " (SELECT coalesce(sum(b.quantity), 0) FROM backorders b WHERE b.sku = s.sku) AS backordered"
                " FROM stock s WHERE s.sku = :sku"
            ),
            {"sku": sku},
        )
    ).one_or_none()
    if row is None:
        return None
    return StockLevel(
        sku=row.sku,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.on_hand - row.reserved,
        backordered=int(row.backordered),
        version=row.version,
    )


class StockListItem(StockLevel):
    """A SKU's stock levels with the product's name, for the stock list."""

    name: str
    active: bool


StockFilter = Literal["available", "out_of_stock", "backordered"]
"""``available``: some units free to promise; ``out_of_stock``: none; ``backordered``: orders wait."""


async def list_stock(
    conn: AsyncConnection, *, q: str | None, having: StockFilter | None, after: str | None, limit: int
) -> list[StockListItem]:
    """Stock levels in SKU order after the keyset position ``after``; ``q`` matches SKU or name
    (case-insensitive, anywhere in the text)."""
    rows = await conn.execute(
        text(
            "SELECT * FROM (SELECT s.sku, p.name, p.active, s.on_hand, s.reserved, s.version,"
            " (SELECT coalesce(sum(b.quantity), 0) FROM backorders b WHERE b.sku = s.sku) AS backordered"
            " FROM stock s JOIN products p ON p.sku = s.sku"
            " WHERE (CAST(:after AS text) IS NULL OR s.sku > CAST(:after AS text))"
            " AND (CAST(:q AS text) IS NULL OR s.sku ILIKE :pattern OR p.name ILIKE :pattern)) levels"
            " WHERE CAST(:having AS text) IS NULL"
            " OR (:having = 'available' AND on_hand > reserved)"
            " OR (:having = 'out_of_stock' AND on_hand <= reserved)"
            " OR (:having = 'backordered' AND backordered > 0)"
            " ORDER BY sku LIMIT :limit"
        ),
        {"after": after, "q": q, "pattern": contains_pattern(q or ""), "having": having, "limit": limit},
    )
    return [
        StockListItem(
            sku=r.sku,
            name=r.name,
            active=r.active,
            on_hand=r.on_hand,
            reserved=r.reserved,
            available=r.on_hand - r.reserved,
            backordered=int(r.backordered),
            version=r.version,
        )
        for r in rows
    ]


async def waiting_lines(conn: AsyncConnection, sku: str, available: int) -> list[BackorderedLine]:
    """The backordered lines of ``sku`` that ``available`` units reach, oldest order first.

    Only the queue's head is read: lines whose predecessors already use up ``available``
    would get nothing.
    """
    rows = await conn.execute(
        text(
            "SELECT order_id, line_no, quantity, placed_at FROM ("
            " SELECT order_id, line_no, quantity, placed_at,"
            " sum(quantity) OVER (ORDER BY placed_at, order_id, line_no) - quantity AS ahead"
            " FROM backorders WHERE sku = :sku) queue"
            " WHERE ahead < :available ORDER BY placed_at, order_id, line_no"
        ),
        {"sku": sku, "available": available},
    )
    return [
        BackorderedLine(order_id=r.order_id, line_no=r.line_no, quantity=r.quantity, placed_at=r.placed_at)
        for r in rows
    ]


async def waiting_orders(conn: AsyncConnection, skus: Iterable[str]) -> list[str]:
    """Orders with lines waiting for any of ``skus``."""
    rows = await conn.execute(
        text("SELECT DISTINCT order_id FROM backorders WHERE sku = ANY(:skus)"), {"skus": sorted(set(skus))}
    )
    return [r.order_id for r in rows]
