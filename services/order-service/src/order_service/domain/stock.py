"""Stock per SKU: what is on hand, what is promised to orders, and who waits for more.

``available = on_hand - reserved`` is what a new order may reserve. Commands never change
the ``Stock`` they are called on; they return the events to append (expected version =
``stock.version``), and the caller applies them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import (
    OrderCancelled,
    OrderShipped,
    StockAdjusted,
    StockAdjustedV1,
    StockAllocated,
    StockIssued,
    StockReceived,
    StockReserved,
)
from backoffice_platform.errors import Conflict, InvalidInput

from .rules import require_quantity, require_text

StockEvent = StockReceived | StockAdjusted | StockAllocated | StockIssued

MAX_ON_HAND = 2**31 - 1
"""Most units of one SKU on hand: what the stock read model's integer columns hold."""


@dataclass
class Stock:
    """On-hand and reserved units of one SKU."""

    sku: str
    on_hand: int = 0
    reserved: int = 0
    version: int = 0

    @property
    def available(self) -> int:
        """Units that may still be reserved or issued freely."""
        return self.on_hand - self.reserved

    # commands ---------------------------------------------------------------
    def receive(self, quantity: int, reference: str | None = None) -> list[StockReceived]:
        """Goods arrived (a delivery note, a return to stock): on hand goes up."""
        quantity = require_quantity(quantity, "quantity")
        self._check_ceiling(self.on_hand + quantity, "quantity")
        return [StockReceived(sku=self.sku, quantity=quantity, reference=reference)]

    def adjust(self, delta: int, reason: str) -> list[StockAdjusted]:
        """Correct on hand after a count, damage or loss.

        On hand may not drop below zero nor below what is already promised to orders:
        release those reservations first.
        """
        reason = require_text(reason, "reason")
        if isinstance(delta, bool) or not isinstance(delta, int):
            raise InvalidInput(
                "delta must be a whole number of units", field="delta", rule="quantity-not-integer"
            )
        if delta == 0:
            raise InvalidInput("delta must not be zero", field="delta", rule="delta-zero")
        after = self.on_hand + delta
        if after < 0:
            raise Conflict(
                f"{self.sku}: on hand {self.on_hand} cannot drop by {-delta}",
                field="delta",
                rule="stock-below-zero",
            )
        if after < self.reserved:
            raise Conflict(
                f"{self.sku}: on hand would be {after}, below the {self.reserved} reserved for orders",
                field="delta",
                rule="stock-below-reserved",
            )
        self._check_ceiling(after, "delta")
        return [StockAdjusted(sku=self.sku, delta=delta, reason=reason)]

    def _check_ceiling(self, after: int, field: str) -> None:
        if after > MAX_ON_HAND:
            raise Conflict(
                f"{self.sku}: on hand would be {after}, above the {MAX_ON_HAND} units one SKU may hold",
                field=field,
                rule="stock-above-limit",
            )

    def reserve(self, order_id: str, line_no: int, quantity: int) -> list[StockAllocated]:
        """Promise units to an order line; never more than is available."""
        quantity = require_quantity(quantity, "quantity")
        if quantity > self.available:
            raise Conflict(
                f"{self.sku}: {quantity} requested, {self.available} available",
                field="quantity",
                rule="insufficient-stock",
            )
        return [StockAllocated(sku=self.sku, order_id=order_id, line_no=line_no, quantity=quantity)]

    def release(self, order_id: str, line_no: int, quantity: int) -> list[StockAllocated]:
        """Give back units an order line held (cancellation): a negative allocation."""
        quantity = require_quantity(quantity, "quantity")
        if quantity > self.reserved:
            raise Conflict(
                f"{self.sku}: cannot release {quantity}, only {self.reserved} reserved",
                field="quantity",
                rule="release-exceeds-reserved",
            )
        return [StockAllocated(sku=self.sku, order_id=order_id, line_no=line_no, quantity=-quantity)]

    def issue(
        self, order_id: str, shipment_id: str, quantity: int, from_reserved: bool = True
    ) -> list[StockIssued]:
        """Units leave in a shipment.

        A normal shipment consumes its reservation (``from_reserved``); a free replacement
        was never reserved, so it takes from available stock instead.
        """
        quantity = require_quantity(quantity, "quantity")
        limit = min(self.reserved, self.on_hand) if from_reserved else self.available
        if quantity > limit:
            raise Conflict(
                f"{self.sku}: cannot issue {quantity}, only {limit} "
                + ("reserved" if from_reserved else "available"),
                field="quantity",
                rule="issue-exceeds-reserved" if from_reserved else "insufficient-stock",
            )
        return [
            StockIssued(
                sku=self.sku,
                order_id=order_id,
                shipment_id=shipment_id,
                quantity=quantity,
                from_reserved=from_reserved,
            )
        ]

    # state ------------------------------------------------------------------
    @classmethod
    def from_events(cls, sku: str, events: Iterable[EventModel]) -> Stock:
        """Rebuild the stock of ``sku`` from its stream (empty stream: nothing on hand)."""
        stock = cls(sku=sku)
        for event in events:
            stock.apply(event)
        return stock

    def apply(self, event: EventModel) -> None:
        """Fold one of this SKU's stock events into the state. Never refuses: history is fact."""
        if isinstance(event, StockReceived):
            self.on_hand += event.quantity
        elif isinstance(event, StockAdjusted | StockAdjustedV1):
            self.on_hand += event.delta
        elif isinstance(event, StockAllocated):
            self.reserved += event.quantity
        elif isinstance(event, StockIssued):
            self.on_hand -= event.quantity
            if event.from_reserved:
                self.reserved -= event.quantity
        else:
            raise ValueError(f"{type(event).__name__} is not a stock event")
        self.version += 1


def stock_movements_for(
    order_events: Iterable[EventModel], stock: Mapping[str, Stock]
) -> dict[str, list[StockEvent]]:
    """The stock events that order events call for, per SKU, checked against ``stock``.

    ``StockReserved`` reserves, ``OrderShipped`` issues (from available stock for a free
    replacement), ``OrderCancelled`` releases what it lists as released; other order events
    move no stock. Each movement is guarded by the ``Stock`` rules, in order, on copies: the
    given objects are not changed. SKUs missing from ``stock`` count as empty.

    Not for the events of ``Order.place``: its ``Placement.stock_events`` already holds them.
    """
    working: dict[str, Stock] = {}
    movements: dict[str, list[StockEvent]] = {}

    def current(sku: str) -> Stock:
        if sku not in working:
            working[sku] = replace(stock[sku]) if sku in stock else Stock(sku=sku)
        return working[sku]

    def record(sku: str, events: Sequence[StockEvent]) -> None:
        for event in events:
            working[sku].apply(event)
        movements.setdefault(sku, []).extend(events)

    for event in order_events:
        if isinstance(event, StockReserved):
            record(event.sku, current(event.sku).reserve(event.order_id, event.line_no, event.quantity))
        elif isinstance(event, OrderCancelled):
            for line in event.released:
                record(line.sku, current(line.sku).release(event.order_id, line.line_no, line.quantity))
        elif isinstance(event, OrderShipped):
            per_sku: dict[str, int] = {}
            for shipped in event.lines:
                per_sku[shipped.sku] = per_sku.get(shipped.sku, 0) + shipped.quantity
            for sku, quantity in per_sku.items():
                issued = current(sku).issue(
                    event.order_id, event.shipment_id, quantity, from_reserved=event.replacement_for is None
                )
                record(sku, issued)
    return movements


@dataclass(frozen=True, slots=True)
class BackorderedLine:
    """An order line waiting for stock of one SKU."""

    order_id: str
    line_no: int
    quantity: int
    placed_at: dt.datetime


@dataclass(frozen=True, slots=True)
class BackorderFill:
    """Units of newly available stock to reserve for a waiting order line."""

    order_id: str
    line_no: int
    quantity: int


def fill_backorders(available: int, waiting: Iterable[BackorderedLine]) -> list[BackorderFill]:
    """Share ``available`` units among waiting lines, oldest order first.

    First come, first served: the oldest line is filled fully before a younger one gets
    anything, and the oldest that does not fit fully gets what is left (a partial fill).
    Ties on ``placed_at`` go by order id, then line number, so the result is deterministic.
    """
    fills: list[BackorderFill] = []
    remaining = available
    for line in sorted(waiting, key=lambda w: (w.placed_at, w.order_id, w.line_no)):
        if remaining <= 0:
            break
        if line.quantity <= 0:
            continue
        quantity = min(line.quantity, remaining)
        fills.append(BackorderFill(order_id=line.order_id, line_no=line.line_no, quantity=quantity))
        remaining -= quantity
    return fills
