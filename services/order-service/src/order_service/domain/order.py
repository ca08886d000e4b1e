"""The order aggregate: placement (pricing, availability, reservation), shipments,
cancellation, delivery, backorder fills and free replacement shipments.

Commands never change the order they are called on; they return the events to append
(expected version = ``order.version``). ``apply`` folds an event into the state, so an order
is rebuilt from its stream with ``Order.from_events``.

Quantities of a line always add up: ``quantity = reserved + backordered + shipped + cancelled``
where ``reserved`` is held stock not yet shipped and ``backordered`` waits for stock.

Status (derived from the line quantities, never stored):

- ``rejected``: policy ``reject`` and stock was short; nothing was reserved.
- ``placed``: accepted, nothing shipped yet (lines may be reserved and/or backordered).
- ``partially_shipped``: something shipped, something still to ship.
- ``fulfilled``: nothing left to ship and at least one unit shipped (the unshipped rest
  may have been cancelled).
- ``delivered``: fulfilled and every shipment, replacements included, delivered.
- ``cancelled``: every line cancelled before anything shipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from backoffice_events import receivables
from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import (
    Address,
    BackorderPolicy,
    Channel,
    LineBackordered,
    OrderCancelled,
    OrderDelivered,
    OrderFulfilled,
    OrderLine,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    QuantityLine,
    ShippedLine,
    ShortLine,
    StockAllocated,
    StockReserved,
)
from backoffice_events.money import Money, MoneyError, check_currency
from backoffice_platform.errors import Conflict, InvalidInput, NotFound

from .catalogue import Product
from .rules import require_decimal, require_quantity, require_text

CHANNELS: tuple[Channel, ...] = ("web", "partner", "sales")
BACKORDER_POLICIES: tuple[BackorderPolicy, ...] = ("allow", "reject")
REJECTED_REASON = "insufficient stock"

PlacementEvent = OrderPlaced | StockReserved | LineBackordered | OrderRejected


class OrderStatus(StrEnum):
    """Where an order stands; see the module docstring for each value."""

    PLACED = "placed"
    PARTIALLY_SHIPPED = "partially_shipped"
    FULFILLED = "fulfilled"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


class LineRequest(NamedTuple):
    """One requested line: what and how many; a discount only from a sales rep."""

    sku: str
    quantity: int
    discount_percent: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    """An order as it arrives (HTTP body, after parsing). Prices come from the catalogue."""

    order_id: str
    customer_id: str
    channel: Channel
    currency: str
    lines: Sequence[LineRequest]
    shipping_address: Address
    backorder_policy: BackorderPolicy
    placed_at: dt.datetime
    # The order date: ``placed_at`` as a business date in the company's zone (from the clock).
    order_date: dt.date
    sales_rep_id: str | None = None
    requested_delivery_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """What placing an order produced: the order's events and the reservations per SKU.

    Append both in one transaction: ``order_events`` to the order stream and each
    ``stock_events[sku]`` to that SKU's stock stream, at the versions the availability
    was read from, so concurrent orders cannot oversell.
    """

    order_events: list[PlacementEvent]
    stock_events: dict[str, list[StockAllocated]]

    @property
    def accepted(self) -> bool:
        """False when the order was rejected for lack of stock."""
        return not any(isinstance(event, OrderRejected) for event in self.order_events)


@dataclass
class OrderLineState:
    """A priced order line and where its units are."""

    line_no: int
    sku: str
    quantity: int
    unit_price: Money
    discount_percent: Decimal
    vat_rate: Decimal
    reserved: int = 0
    shipped: int = 0
    cancelled: int = 0
    reshipped: int = 0

    @property
    def backordered(self) -> int:
        """Units waiting for stock."""
        return self.quantity - self.reserved - self.shipped - self.cancelled

    @property
    def open(self) -> int:
        """Units still to ship (reserved or backordered)."""
        return self.quantity - self.shipped - self.cancelled


@dataclass
class Shipment:
    """A shipment recorded against the order; ``replacement_for`` names a free reshipment's remedy."""

    shipment_id: str
    shipped_at: dt.datetime
    replacement_for: str | None = None
    delivered_at: dt.datetime | None = None


def line_net(line: OrderLine | ShippedLine) -> Money:
    """Net amount of a priced line: quantity x unit price less the discount, rounded half up
    (the shared rule, ``backoffice_events.receivables.line_net``)."""
    return receivables.line_net(line.quantity, line.unit_price, line.discount_percent)


@dataclass
class Order:
    """An order and its fulfilment. Build it with ``Order.place`` + ``Order.from_events``."""

    order_id: str
    customer_id: str = ""
    channel: Channel | None = None
    sales_rep_id: str | None = None
    currency: str = ""
    shipping_address: Address | None = None
    requested_delivery_date: dt.date | None = None
    backorder_policy: BackorderPolicy | None = None
    placed_at: dt.datetime | None = None
    lines: dict[int, OrderLineState] = field(default_factory=dict)
    shipments: dict[str, Shipment] = field(default_factory=dict)
    rejected: bool = False
    cancelled_at: dt.datetime | None = None
    fulfilled_at: dt.datetime | None = None
    version: int = 0

    # placement --------------------------------------------------------------
    @classmethod
    def place(
        cls,
        request: PlaceOrder,
        *,
        products: Mapping[str, Product],
        availability: Mapping[str, int],
        discount_limit: Decimal = Decimal(0),
    ) -> Placement:
        """Price an order from the catalogue, check availability and reserve stock.

        ``availability`` is on hand minus reserved per SKU (missing: none). Lines of the same
        SKU draw on that SKU's availability together, in line order. A short line rejects the
        whole order under policy ``reject`` (nothing reserved; each short line reports what
        was left for it); under ``allow`` the available part is reserved and the rest
        backordered. ``discount_limit`` is the sales rep's maximum discount in percent.
        """
        order_id = require_text(request.order_id, "order_id")
        customer_id = require_text(request.customer_id, "customer_id")
        if request.channel not in CHANNELS:
            raise InvalidInput(
                f"channel must be one of {', '.join(CHANNELS)}", field="channel", rule="unknown-channel"
            )
        if request.backorder_policy not in BACKORDER_POLICIES:
            raise InvalidInput(
                "backorder_policy must be allow or reject",
                field="backorder_policy",
                rule="unknown-backorder-policy",
            )
        try:
            currency = check_currency(request.currency)
        except MoneyError as exc:
            raise InvalidInput(str(exc), field="currency", rule="unknown-currency") from None
        sales_rep_id = (request.sales_rep_id or "").strip() or None
        delivery_date = request.requested_delivery_date
        if delivery_date is not None and delivery_date < request.order_date:
            raise InvalidInput(
                f"requested delivery date {delivery_date} is before the order date",
                field="requested_delivery_date",
                rule="delivery-date-in-past",
            )
        if not request.lines:
            raise InvalidInput("an order needs at least one line", field="lines", rule="no-lines")

        priced: list[OrderLine] = []
        for index, requested in enumerate(request.lines):
            prefix = f"lines[{index}]"
            product = products.get(requested.sku)
            if product is None:
                raise InvalidInput(
                    f"unknown SKU {requested.sku!r}", field=f"{prefix}.sku", rule="unknown-sku"
                )
            if not product.active:
                raise InvalidInput(
                    f"SKU {requested.sku!r} is no longer sold", field=f"{prefix}.sku", rule="inactive-sku"
                )
            quantity = require_quantity(requested.quantity, f"{prefix}.quantity")
            if product.unit_price.currency != currency:
                raise InvalidInput(
                    f"order currency {currency} differs from {product.sku}'s price currency "
                    f"{product.unit_price.currency} ({prefix})",
                    field="currency",
                    rule="currency-mismatch",
                )
            discount = _discount(
                requested.discount_percent,
                f"{prefix}.discount_percent",
                request.channel,
                sales_rep_id,
                discount_limit,
            )
            priced.append(
                OrderLine(
                    line_no=index + 1,
                    sku=product.sku,
                    quantity=quantity,
                    unit_price=product.unit_price,
                    discount_percent=discount,
                    vat_rate=product.vat_rate,
                )
            )

        left: dict[str, int] = {}
        allotments: list[tuple[OrderLine, int, int]] = []  # line, reserved, available for it
        for line in priced:
            available = left.setdefault(line.sku, max(0, availability.get(line.sku, 0)))
            take = min(line.quantity, available)
            left[line.sku] = available - take
            allotments.append((line, take, available))

        short = [
            ShortLine(line_no=line.line_no, sku=line.sku, requested=line.quantity, available=available)
            for line, take, available in allotments
            if take < line.quantity
        ]
        if short and request.backorder_policy == "reject":
            rejected = OrderRejected(
                order_id=order_id, customer_id=customer_id, reason=REJECTED_REASON, short_lines=short
            )
            return Placement(order_events=[rejected], stock_events={})

        events: list[PlacementEvent] = [
            OrderPlaced(
                order_id=order_id,
                customer_id=customer_id,
                channel=request.channel,
                sales_rep_id=sales_rep_id,
                currency=currency,
                lines=priced,
                shipping_address=request.shipping_address,
                requested_delivery_date=delivery_date,
                backorder_policy=request.backorder_policy,
                placed_at=request.placed_at,
            )
        ]
        stock_events: dict[str, list[StockAllocated]] = {}
        for line, take, _ in allotments:
            if take:
                events.append(
                    StockReserved(order_id=order_id, line_no=line.line_no, sku=line.sku, quantity=take)
                )
                stock_events.setdefault(line.sku, []).append(
                    StockAllocated(sku=line.sku, order_id=order_id, line_no=line.line_no, quantity=take)
                )
            if take < line.quantity:
                events.append(
                    LineBackordered(
                        order_id=order_id, line_no=line.line_no, sku=line.sku, quantity=line.quantity - take
                    )
                )
        return Placement(order_events=events, stock_events=stock_events)

    # commands ---------------------------------------------------------------
    def ship(
        self,
        shipment_id: str,
        lines: Sequence[tuple[int, int]],
        carrier: str,
        tracking_number: str | None,
        shipped_at: dt.datetime,
    ) -> list[OrderShipped | OrderFulfilled]:
        """Record a (full or partial) shipment of reserved units, at the order's prices.

        ``lines`` are ``(line_no, quantity)``; a line may only ship what is reserved for it
        and not yet shipped. Adds ``OrderFulfilled`` when nothing is left to ship.
        """
        shipment_id = require_text(shipment_id, "shipment_id")
        carrier = require_text(carrier, "carrier")
        self._require_not_closed()
        self._require_new_shipment(shipment_id)
        quantities: dict[int, int] = {}
        for index, line, quantity in self._requested_lines(lines):
            if line.open == 0 and line.cancelled:
                raise Conflict(
                    f"line {line.line_no} was cancelled",
                    field=f"lines[{index}].line_no",
                    rule="line-cancelled",
                )
            total = quantities.get(line.line_no, 0) + quantity
            if total > line.reserved:
                raise Conflict(
                    f"line {line.line_no}: {total} to ship, {line.reserved} reserved and not yet shipped",
                    field=f"lines[{index}].quantity",
                    rule="ship-exceeds-reserved",
                )
            quantities[line.line_no] = total

        shipped = OrderShipped(
            order_id=self.order_id,
            shipment_id=shipment_id,
            customer_id=self.customer_id,
            currency=self.currency,
            lines=[self._shipped_line(self.lines[no], quantity) for no, quantity in quantities.items()],
            carrier=carrier,
            tracking_number=tracking_number,
            shipped_at=shipped_at,
        )
        events: list[OrderShipped | OrderFulfilled] = [shipped]
        if self.fulfilled_at is None and all(
            line.open == quantities.get(line.line_no, 0) for line in self.lines.values()
        ):
            events.append(OrderFulfilled(order_id=self.order_id, fulfilled_at=shipped_at))
        return events

    def cancel(self, reason: str, cancelled_at: dt.datetime) -> list[OrderCancelled | OrderFulfilled]:
        """Cancel everything not yet shipped (reserved and backordered), releasing reservations.

        If part of the order already shipped, the order is then complete and ``OrderFulfilled``
        follows.
        """
        reason = require_text(reason, "reason")
        self._require_not_closed()
        open_lines = [line for line in self.lines.values() if line.open]
        if not open_lines:
            raise Conflict(
                f"order {self.order_id} has shipped in full; nothing left to cancel",
                field="order_id",
                rule="already-shipped",
            )
        return self._cancel(open_lines, reason, cancelled_at)

    def cancel_lines(
        self, line_nos: Sequence[int], reason: str, cancelled_at: dt.datetime
    ) -> list[OrderCancelled | OrderFulfilled]:
        """Cancel whole lines that have shipped nothing; their reservations are released."""
        reason = require_text(reason, "reason")
        self._require_not_closed()
        if not line_nos:
            raise InvalidInput("name at least one line to cancel", field="line_nos", rule="no-lines")
        selected: dict[int, OrderLineState] = {}
        for index, line_no in enumerate(line_nos):
            line = self.lines.get(line_no)
            at = f"line_nos[{index}]"
            if line is None:
                raise InvalidInput(f"order has no line {line_no}", field=at, rule="unknown-line")
            if line.shipped:
                raise Conflict(f"line {line_no} has shipped {line.shipped}", field=at, rule="line-shipped")
            if not line.open:
                raise Conflict(f"line {line_no} is already cancelled", field=at, rule="line-cancelled")
            selected[line_no] = line
        return self._cancel(list(selected.values()), reason, cancelled_at)

    def deliver(self, shipment_id: str, delivered_at: dt.datetime) -> list[OrderDelivered]:
        """The carrier delivered a shipment."""
        shipment = self.shipments.get(shipment_id)
        if shipment is None:
            raise NotFound(
                f"order {self.order_id} has no shipment {shipment_id!r}",
                field="shipment_id",
                rule="unknown-shipment",
            )
        if shipment.delivered_at is not None:
            raise Conflict(
                f"shipment {shipment_id} was delivered at {shipment.delivered_at.isoformat()}",
                field="shipment_id",
                rule="already-delivered",
            )
        if delivered_at < shipment.shipped_at:
            raise InvalidInput(
                "delivered_at is before the shipment left",
                field="delivered_at",
                rule="delivered-before-shipped",
            )
        return [OrderDelivered(order_id=self.order_id, shipment_id=shipment_id, delivered_at=delivered_at)]

    def fill_backorder(self, line_no: int, quantity: int) -> list[StockReserved]:
        """Reserve newly available stock for a backordered line (see ``fill_backorders``)."""
        self._require_not_closed()
        line = self.lines.get(line_no)
        if line is None:
            raise InvalidInput(f"order has no line {line_no}", field="line_no", rule="unknown-line")
        quantity = require_quantity(quantity, "quantity")
        if quantity > line.backordered:
            raise Conflict(
                f"line {line_no}: {quantity} to reserve, {line.backordered} backordered",
                field="quantity",
                rule="exceeds-backorder",
            )
        return [StockReserved(order_id=self.order_id, line_no=line_no, sku=line.sku, quantity=quantity)]

    def reship(
        self,
        remedy_id: str,
        lines: Sequence[tuple[int, int]],
        shipment_id: str,
        shipped_at: dt.datetime,
        carrier: str = "standard",
        tracking_number: str | None = None,
    ) -> list[OrderShipped]:
        """Ship a free replacement for a support remedy: shipped lines only, at zero price.

        Idempotent per ``remedy_id``: a remedy that already has its replacement shipment
        returns no events, so a redelivered request ships nothing twice. The units come from
        available stock (they were never reserved).
        """
        remedy_id = require_text(remedy_id, "remedy_id")
        if remedy_id in self.remedy_ids:
            return []
        shipment_id = require_text(shipment_id, "shipment_id")
        carrier = require_text(carrier, "carrier")
        if self.rejected:
            raise Conflict(f"order {self.order_id} was rejected", field="order_id", rule="order-cancelled")
        self._require_new_shipment(shipment_id)
        quantities: dict[int, int] = {}
        for index, line, quantity in self._requested_lines(lines):
            if not line.shipped:
                raise Conflict(
                    f"line {line.line_no} has not shipped; nothing to replace",
                    field=f"lines[{index}].line_no",
                    rule="line-not-shipped",
                )
            total = quantities.get(line.line_no, 0) + quantity
            if total > line.shipped:
                raise Conflict(
                    f"line {line.line_no}: {total} to replace, {line.shipped} shipped",
                    field=f"lines[{index}].quantity",
                    rule="reship-exceeds-shipped",
                )
            quantities[line.line_no] = total
        zero = Money.zero(self.currency)
        replacement = OrderShipped(
            order_id=self.order_id,
            shipment_id=shipment_id,
            customer_id=self.customer_id,
            currency=self.currency,
            lines=[
                ShippedLine(
                    line_no=no,
                    sku=self.lines[no].sku,
                    quantity=quantity,
                    unit_price=zero,
                    discount_percent=Decimal(0),
                    vat_rate=self.lines[no].vat_rate,
                )
                for no, quantity in quantities.items()
            ],
            carrier=carrier,
            tracking_number=tracking_number,
            shipped_at=shipped_at,
            replacement_for=remedy_id,
        )
        return [replacement]

    # queries ----------------------------------------------------------------
    @property
    def status(self) -> OrderStatus:
        """The order's status, derived from its lines and shipments."""
        if self.rejected:
            return OrderStatus.REJECTED
        lines = self.lines.values()
        if any(line.open for line in lines):
            return (
                OrderStatus.PARTIALLY_SHIPPED if any(line.shipped for line in lines) else OrderStatus.PLACED
            )
        if not any(line.shipped for line in lines):
            return OrderStatus.CANCELLED
        if all(shipment.delivered_at is not None for shipment in self.shipments.values()):
            return OrderStatus.DELIVERED
        return OrderStatus.FULFILLED

    @property
    def remedy_ids(self) -> set[str]:
        """Remedies that already have their replacement shipment."""
        return {s.replacement_for for s in self.shipments.values() if s.replacement_for is not None}

    # state ------------------------------------------------------------------
    @classmethod
    def from_events(cls, events: Iterable[EventModel]) -> Order:
        """Rebuild an order from its stream (first event ``OrderPlaced`` or ``OrderRejected``)."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, OrderPlaced | OrderRejected):
            raise ValueError(
                f"an order stream starts with OrderPlaced or OrderRejected, not {type(first).__name__}"
            )
        order = cls(order_id=first.order_id)
        order.apply(first)
        for event in stream:
            order.apply(event)
        return order

    def apply(self, event: EventModel) -> None:
        """Fold one of this order's events into its state. Never refuses: history is fact."""
        if isinstance(event, OrderPlaced):
            self.customer_id = event.customer_id
            self.channel = event.channel
            self.sales_rep_id = event.sales_rep_id
            self.currency = event.currency
            self.shipping_address = event.shipping_address
            self.requested_delivery_date = event.requested_delivery_date
            self.backorder_policy = event.backorder_policy
            self.placed_at = event.placed_at
            self.lines = {
                line.line_no: OrderLineState(
                    line_no=line.line_no,
                    sku=line.sku,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    discount_percent=line.discount_percent,
                    vat_rate=line.vat_rate,
                )
                for line in event.lines
            }
        elif isinstance(event, OrderRejected):
            self.customer_id = event.customer_id
            self.rejected = True
        elif isinstance(event, StockReserved):
            self.lines[event.line_no].reserved += event.quantity
        elif isinstance(event, LineBackordered):
            pass  # backordered is what is neither reserved, shipped nor cancelled
        elif isinstance(event, OrderShipped):
            self.shipments[event.shipment_id] = Shipment(
                shipment_id=event.shipment_id,
                shipped_at=event.shipped_at,
                replacement_for=event.replacement_for,
            )
            for shipped in event.lines:
                line = self.lines[shipped.line_no]
                if event.replacement_for is None:
                    line.reserved -= shipped.quantity
                    line.shipped += shipped.quantity
                else:
                    line.reshipped += shipped.quantity
        elif isinstance(event, OrderFulfilled):
            self.fulfilled_at = event.fulfilled_at
        elif isinstance(event, OrderCancelled):
            self.cancelled_at = event.cancelled_at
            for released in event.released:
                self.lines[released.line_no].reserved -= released.quantity
            if event.cancelled:
                for cancelled in event.cancelled:
                    self.lines[cancelled.line_no].cancelled += cancelled.quantity
            else:  # recorded without per-line quantities: the whole unshipped rest
                for line in self.lines.values():
                    line.cancelled += line.open
                    line.reserved = 0
        elif isinstance(event, OrderDelivered):
            self.shipments[event.shipment_id].delivered_at = event.delivered_at
        else:
            raise ValueError(f"{type(event).__name__} is not an order event")
        self.version += 1

    # internals --------------------------------------------------------------
    def _require_not_closed(self) -> None:
        if self.rejected:
            raise Conflict(f"order {self.order_id} was rejected", field="order_id", rule="order-cancelled")
        if self.cancelled_at is not None and not any(line.open for line in self.lines.values()):
            raise Conflict(f"order {self.order_id} was cancelled", field="order_id", rule="order-cancelled")

    def _require_new_shipment(self, shipment_id: str) -> None:
        if shipment_id in self.shipments:
            raise Conflict(
                f"shipment {shipment_id} is already recorded", field="shipment_id", rule="shipment-exists"
            )

    def _requested_lines(self, lines: Sequence[tuple[int, int]]) -> list[tuple[int, OrderLineState, int]]:
        """Resolve ``(line_no, quantity)`` pairs to order lines, checking each quantity."""
        if not lines:
            raise InvalidInput("name at least one line", field="lines", rule="no-lines")
        resolved = []
        for index, (line_no, quantity) in enumerate(lines):
            line = self.lines.get(line_no)
            if line is None:
                raise InvalidInput(
                    f"order has no line {line_no}", field=f"lines[{index}].line_no", rule="unknown-line"
                )
            resolved.append((index, line, require_quantity(quantity, f"lines[{index}].quantity")))
        return resolved

    def _shipped_line(self, line: OrderLineState, quantity: int) -> ShippedLine:
        return ShippedLine(
            line_no=line.line_no,
            sku=line.sku,
            quantity=quantity,
            unit_price=line.unit_price,
            discount_percent=line.discount_percent,
            vat_rate=line.vat_rate,
        )

    def _cancel(
        self, lines: Sequence[OrderLineState], reason: str, cancelled_at: dt.datetime
    ) -> list[OrderCancelled | OrderFulfilled]:
        cancelled = OrderCancelled(
            order_id=self.order_id,
            reason=reason,
            released=[
                QuantityLine(line_no=ln.line_no, sku=ln.sku, quantity=ln.reserved)
                for ln in lines
                if ln.reserved
            ],
            cancelled=[QuantityLine(line_no=ln.line_no, sku=ln.sku, quantity=ln.open) for ln in lines],
            cancelled_at=cancelled_at,
        )
        events: list[OrderCancelled | OrderFulfilled] = [cancelled]
        cancelled_now = {ln.line_no for ln in lines}
        rest_complete = all(not ln.open for ln in self.lines.values() if ln.line_no not in cancelled_now)
        if rest_complete and self.fulfilled_at is None and any(ln.shipped for ln in self.lines.values()):
            # Nothing more will ship: the part that did ship is the whole order now.
            events.append(OrderFulfilled(order_id=self.order_id, fulfilled_at=cancelled_at))
        return events


def _discount(
    value: Decimal | None, field: str, channel: Channel, sales_rep_id: str | None, limit: Decimal
) -> Decimal:
    """Check a requested line discount; only a sales rep may grant one, up to their limit."""
    if value is None:
        return Decimal(0)
    discount = require_decimal(value, field)
    if discount == 0:
        return Decimal(0)
    if not Decimal(0) < discount <= Decimal(100):
        raise InvalidInput(
            f"discount must be between 0 and 100 percent, got {discount}",
            field=field,
            rule="discount-out-of-range",
        )
    if channel != "sales" or sales_rep_id is None:
        raise InvalidInput(
            "a discount needs the sales channel and a sales rep", field=field, rule="discount-not-allowed"
        )
    if discount > limit:
        raise InvalidInput(
            f"discount {discount} % is above the sales rep's limit of {limit} %",
            field=field,
            rule="discount-above-limit",
        )
    return discount
