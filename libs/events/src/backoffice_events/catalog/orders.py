"""Events of the order context (topic ``backoffice.orders``): orders, stock, shipments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..money import Money
from .base import EventModel, register, upcaster
from .topics import ORDERS

Channel = Literal["web", "partner", "sales"]
BackorderPolicy = Literal["allow", "reject"]


class Part(BaseModel):
    """Value object nested in an event."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class Address(Part):
    name: str
    line1: str
    line2: str | None = None
    postal_code: str
    city: str
    country: str = Field(description="ISO 3166-1 alpha-2")


class OrderLine(Part):
    line_no: int = Field(ge=1)
    sku: str
    quantity: int = Field(ge=1)
    unit_price: Money
    discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    vat_rate: Decimal = Field(ge=0, le=1, description="e.g. 0.21 for 21 %")


class ShortLine(Part):
    line_no: int
    sku: str
    requested: int
    available: int


class QuantityLine(Part):
    line_no: int
    sku: str
    quantity: int = Field(ge=1)


class ShippedLine(Part):
    line_no: int
    sku: str
    quantity: int = Field(ge=1)
    unit_price: Money
    discount_percent: Decimal = Decimal(0)
    vat_rate: Decimal


class _OrderEvent(EventModel):
    topic: ClassVar[str] = ORDERS
    aggregate: ClassVar[str] = "order"
    order_id: str


@register
class OrderPlaced(_OrderEvent):
    """An order was accepted; its lines are priced from the catalogue."""

    event_type: ClassVar[str] = "backoffice.order.placed"
    customer_id: str
    channel: Channel
    sales_rep_id: str | None = None
    currency: str
    lines: list[OrderLine]
    shipping_address: Address
    requested_delivery_date: dt.date | None = None
    backorder_policy: BackorderPolicy
    placed_at: dt.datetime


@register
class OrderRejected(_OrderEvent):
    """An order with policy ``reject`` could not be filled; nothing was reserved."""

    event_type: ClassVar[str] = "backoffice.order.rejected"
    customer_id: str
    reason: str
    short_lines: list[ShortLine]


@register
class StockReserved(_OrderEvent):
    """Stock was reserved for a line (at placement or when a backorder is filled)."""

    event_type: ClassVar[str] = "backoffice.order.stock_reserved"
    line_no: int
    sku: str
    quantity: int = Field(ge=1)


@register
class LineBackordered(_OrderEvent):
    """Part of a line could not be reserved and waits for stock."""

    event_type: ClassVar[str] = "backoffice.order.line_backordered"
    line_no: int
    sku: str
    quantity: int = Field(ge=1)


@register
class OrderShipped(_OrderEvent):
    """A shipment left the warehouse. Exactly what was shipped at what price.

    ``replacement_for`` is set for a free reshipment remedy (lines at zero price, not billed).
    """

    event_type: ClassVar[str] = "backoffice.order.shipped"
    shipment_id: str
    customer_id: str
    currency: str
    lines: list[ShippedLine]
    carrier: str
    tracking_number: str | None = None
    shipped_at: dt.datetime
    replacement_for: str | None = Field(default=None, description="remedy id of a free reshipment")


@register
class OrderFulfilled(_OrderEvent):
    event_type: ClassVar[str] = "backoffice.order.fulfilled"
    fulfilled_at: dt.datetime


@register
class OrderCancelled(_OrderEvent):
    """The unshipped part of an order was cancelled and its reservation released."""

    event_type: ClassVar[str] = "backoffice.order.cancelled"
    reason: str
    released: list[QuantityLine]
    cancelled_at: dt.datetime
    cancelled: list[QuantityLine] = Field(
        default_factory=list,
        description="quantity cancelled per line (reserved and backordered); "
        "``released`` is the reserved part given back to stock. Empty: the whole unshipped rest",
    )


@register
class OrderDelivered(_OrderEvent):
    event_type: ClassVar[str] = "backoffice.order.delivered"
    shipment_id: str
    delivered_at: dt.datetime


class _StockEvent(EventModel):
    topic: ClassVar[str] = ORDERS
    aggregate: ClassVar[str] = "stock"
    sku: str


@register
class ProductCreated(EventModel):
    topic: ClassVar[str] = ORDERS
    aggregate: ClassVar[str] = "product"
    event_type: ClassVar[str] = "backoffice.product.created"
    sku: str
    name: str
    unit_price: Money
    vat_rate: Decimal
    active: bool = True


@register
class ProductPriceChanged(EventModel):
    topic: ClassVar[str] = ORDERS
    aggregate: ClassVar[str] = "product"
    event_type: ClassVar[str] = "backoffice.product.price_changed"
    sku: str
    unit_price: Money


@register
class ProductDeactivated(EventModel):
    topic: ClassVar[str] = ORDERS
    aggregate: ClassVar[str] = "product"
    event_type: ClassVar[str] = "backoffice.product.deactivated"
    sku: str


@register
class StockReceived(_StockEvent):
    event_type: ClassVar[str] = "backoffice.stock.received"
    quantity: int = Field(ge=1)
    reference: str | None = None


@register
class StockAdjustedV1(_StockEvent):
    """First published shape: the reason was a free-text ``note``. Kept for old records."""

    event_type: ClassVar[str] = "backoffice.stock.adjusted"
    event_version: ClassVar[int] = 1
    delta: int
    note: str


@register
class StockAdjusted(_StockEvent):
    """A correction of on-hand stock (count, damage, loss) with its reason."""

    event_type: ClassVar[str] = "backoffice.stock.adjusted"
    event_version: ClassVar[int] = 2
    delta: int
    reason: str


@upcaster("backoffice.stock.adjusted", from_version=1)
def _stock_adjusted_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["reason"] = data.pop("note")
    return data


@register
class StockAllocated(_StockEvent):
    """Stock units were reserved for (positive) or released from (negative) an order."""

    event_type: ClassVar[str] = "backoffice.stock.allocated"
    order_id: str
    line_no: int
    quantity: int


@register
class StockIssued(_StockEvent):
    """Stock left the warehouse in a shipment (on hand and reserved both go down)."""

    event_type: ClassVar[str] = "backoffice.stock.issued"
    order_id: str
    shipment_id: str
    quantity: int = Field(ge=1)
    from_reserved: bool = True
