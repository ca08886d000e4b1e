"""The stock and orders one transaction works on, and the one way they are locked.

Lock order, followed by every command so none can deadlock another: first the stock rows
of the SKUs involved (in SKU order, one statement), then the order rows (in order id order,
one statement). A command that locks orders never locks stock afterwards; filling backorders
locks its orders in one statement after its stock, or finds them locked already.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import StockReserved
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import NotFound

from ..adapters.orders import (
    LoadedOrder,
    load_order,
    lock_order_rows,
    order_stream,
    record_shipments,
    save_order,
)
from ..adapters.stock import lock_stock, save_stock, stock_stream, waiting_lines
from ..domain.stock import BackorderFill, Stock, StockEvent, fill_backorders, stock_movements_for


class Fulfilment:
    """Locked stock and orders of one transaction; appends their events and keeps the read
    models in step, so later steps of the same transaction read what earlier ones wrote."""

    def __init__(self, ctx: ServiceContext, conn: AsyncConnection) -> None:
        self.ctx = ctx
        self.conn = conn
        self.now: dt.datetime = ctx.clock.now()
        self.stock: dict[str, Stock] = {}
        self.orders: dict[str, LoadedOrder] = {}
        self._locked_orders: set[str] = set()

    # locking ----------------------------------------------------------------
    async def lock(self, skus: Iterable[str], order_ids: Iterable[str] = ()) -> None:
        """Lock the stock of ``skus``, then ``order_ids``: once per transaction, stock first."""
        if self.stock or self._locked_orders:
            raise RuntimeError("lock stock once, before any order")  # would break the lock order
        self.stock = await lock_stock(self.conn, skus)
        await self.lock_orders(order_ids)

    async def lock_orders(self, order_ids: Iterable[str]) -> None:
        """Lock orders (in order id order) that this transaction does not hold yet."""
        missing = set(order_ids) - self._locked_orders
        if missing:
            await lock_order_rows(self.conn, missing)
            self._locked_orders |= missing

    async def order(self, order_id: str) -> LoadedOrder:
        """A locked order, rebuilt from its stream (once per transaction)."""
        if order_id not in self._locked_orders:
            raise RuntimeError(f"order {order_id} read before it was locked")
        if order_id not in self.orders:
            loaded = await load_order(self.conn, self.ctx.store, order_id)
            if loaded is None:
                raise NotFound(f"no order {order_id}", field="order_id", rule="unknown-order")
            self.orders[order_id] = loaded
        return self.orders[order_id]

    # recording --------------------------------------------------------------
    async def record(self, loaded: LoadedOrder, events: Sequence[EventModel]) -> None:
        """Append ``events`` to the order and the stock movements they call for to each SKU.

        The movements are computed (and checked against the locked stock) before anything
        is appended, so a refused movement writes nothing.
        """
        if not events:
            return
        order = loaded.order
        movements = stock_movements_for(events, self.stock)
        recorded = await self.ctx.store.append(
            self.conn, order_stream(order.order_id), "order", order.version, events, occurred_at=self.now
        )
        for event in events:
            order.apply(event)
        loaded.recorded.extend(recorded)
        loaded.events.extend(events)
        await save_order(self.conn, order, order.placed_at or loaded.recorded[0].envelope.time)
        await record_shipments(self.conn, events)
        for sku in sorted(movements):
            await self.record_stock(sku, movements[sku])

    async def record_stock(self, sku: str, events: Sequence[StockEvent]) -> None:
        """Append stock events at the locked row's version and update the row."""
        stock = self.stock[sku]
        await self.ctx.store.append(
            self.conn, stock_stream(sku), "stock", stock.version, events, occurred_at=self.now
        )
        for event in events:
            stock.apply(event)
        await save_stock(self.conn, stock)

    # backorders -------------------------------------------------------------
    async def fill_backorders(self, skus: Iterable[str]) -> list[BackorderFill]:
        """Reserve what is available of ``skus`` for waiting lines, oldest order first.

        All fills are worked out first, then their orders locked in one statement (or found
        locked already, when the caller locked the SKUs' waiting orders up front).
        """
        fills: list[BackorderFill] = []
        for sku in sorted(set(skus)):
            stock = self.stock[sku]
            if stock.available > 0:
                waiting = await waiting_lines(self.conn, sku, stock.available)
                fills.extend(fill_backorders(stock.available, waiting))
        if not fills:
            return []
        await self.lock_orders(f.order_id for f in fills)
        by_order: dict[str, list[BackorderFill]] = {}
        for fill in fills:
            by_order.setdefault(fill.order_id, []).append(fill)
        for order_id in sorted(by_order):
            loaded = await self.order(order_id)
            reserved: list[StockReserved] = []
            for fill in by_order[order_id]:
                reserved.extend(loaded.order.fill_backorder(fill.line_no, fill.quantity))
            await self.record(loaded, reserved)
        return fills
