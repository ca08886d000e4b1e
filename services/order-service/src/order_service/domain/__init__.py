"""Pure domain of the order service: aggregates, rules, no I/O.

- ``Product`` (catalogue): what is sold, at what price and VAT rate.
- ``Stock``: on hand and reserved units per SKU; ``fill_backorders`` shares new stock
  among waiting lines; ``stock_movements_for`` turns order events into stock events.
- ``Order``: placement (``Order.place``), shipments, cancellation, delivery, backorder
  fills and free replacement shipments.

Commands return catalog events and never change the object they are called on; append the
events at ``version`` and ``apply`` them (or rebuild with ``from_events``).
"""

from .catalogue import Product
from .order import (
    LineRequest,
    Order,
    OrderLineState,
    OrderStatus,
    Placement,
    PlaceOrder,
    Shipment,
    line_net,
)
from .stock import BackorderedLine, BackorderFill, Stock, fill_backorders, stock_movements_for

__all__ = [
    "BackorderFill",
    "BackorderedLine",
    "LineRequest",
    "Order",
    "OrderLineState",
    "OrderStatus",
    "PlaceOrder",
    "Placement",
    "Product",
    "Shipment",
    "Stock",
    "fill_backorders",
    "line_net",
    "stock_movements_for",
]
