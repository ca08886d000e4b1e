"""Orders: event stream per order plus the ``orders``, ``order_lines``, ``shipments`` and
``backorders`` read models, and the views the API answers with."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import (
    Address,
    Channel,
    OrderDelivered,
    OrderRejected,
    OrderShipped,
    ShortLine,
)
from backoffice_events.money import Money
from backoffice_events.receivables import line_net
from backoffice_events.store import EventStore, RecordedEvent

from ..domain.order import Order, OrderStatus

CLOSED = (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.FULFILLED, OrderStatus.DELIVERED)


def order_stream(order_id: str) -> str:
    return f"order-{order_id}"


# views ------------------------------------------------------------------------
class LineView(BaseModel):
    line_no: int
    sku: str
    quantity: int
    unit_price: Money
    discount_percent: Decimal
    vat_rate: Decimal
    net: Money
    reserved: int
    backordered: int
    shipped: int
    cancelled: int
    reshipped: int


class ShipmentLineView(BaseModel):
    line_no: int
    sku: str
    quantity: int
    unit_price: Money


class ShipmentView(BaseModel):
    shipment_id: str
    carrier: str
    tracking_number: str | None
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    replacement_for: str | None
    lines: list[ShipmentLineView]


class HistoryEntry(BaseModel):
    """One event of the order's stream, as recorded."""

    type: str
    version: int
    time: dt.datetime
    actor: str | None = None  # who caused it (null for events stored before actors were kept)
    data: dict[str, Any]


class OrderDetails(BaseModel):
    """An order as it stands, with its whole event history."""

    order_id: str
    customer_id: str
    channel: Channel | None
    sales_rep_id: str | None
    currency: str | None
    status: OrderStatus
    backorder_policy: str | None
    placed_at: dt.datetime
    requested_delivery_date: dt.date | None
    shipping_address: Address | None
    lines: list[LineView]
    shipments: list[ShipmentView]
    short_lines: list[ShortLine]
    version: int
    history: list[HistoryEntry]


class OrderSummary(BaseModel):
    order_id: str
    customer_id: str
    channel: Channel | None
    sales_rep_id: str | None
    currency: str | None
    status: OrderStatus
    placed_at: dt.datetime
    version: int


def order_details(
    order: Order, recorded: Sequence[RecordedEvent], events: Sequence[EventModel]
) -> OrderDetails:
    """The view of ``order`` rebuilt from its stream (``events`` are ``recorded`` decoded)."""
    shipments: list[ShipmentView] = []
    short_lines: list[ShortLine] = []
    for event in events:
        if isinstance(event, OrderShipped):
            state = order.shipments.get(event.shipment_id)
            shipments.append(
                ShipmentView(
                    shipment_id=event.shipment_id,
                    carrier=event.carrier,
                    tracking_number=event.tracking_number,
                    shipped_at=event.shipped_at,
                    delivered_at=state.delivered_at if state else None,
                    replacement_for=event.replacement_for,
                    lines=[
                        ShipmentLineView(
                            line_no=ln.line_no, sku=ln.sku, quantity=ln.quantity, unit_price=ln.unit_price
                        )
                        for ln in event.lines
                    ],
                )
            )
        elif isinstance(event, OrderRejected):
            short_lines = list(event.short_lines)
    return OrderDetails(
        order_id=order.order_id,
        customer_id=order.customer_id,
        channel=order.channel,
        sales_rep_id=order.sales_rep_id,
        currency=order.currency or None,
        status=order.status,
        backorder_policy=order.backorder_policy,
        placed_at=order.placed_at or recorded[0].envelope.time,
        requested_delivery_date=order.requested_delivery_date,
        shipping_address=order.shipping_address,
        lines=[
            LineView(
                line_no=ln.line_no,
                sku=ln.sku,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                discount_percent=ln.discount_percent,
                vat_rate=ln.vat_rate,
                net=_net(ln.unit_price, ln.quantity, ln.discount_percent),
                reserved=ln.reserved,
                backordered=ln.backordered,
                shipped=ln.shipped,
                cancelled=ln.cancelled,
                reshipped=ln.reshipped,
            )
            for ln in sorted(order.lines.values(), key=lambda ln: ln.line_no)
        ],
        shipments=shipments,
        short_lines=short_lines,
        version=order.version,
        history=[
            HistoryEntry(
                type=r.envelope.type,
                version=r.envelope.stream_version,
                time=r.envelope.time,
                actor=r.envelope.actor,
                data=r.envelope.data,
            )
            for r in recorded
        ],
    )


def _net(unit_price: Money, quantity: int, discount_percent: Decimal) -> Money:
    """Quantity x unit price less the discount, rounded half up (the shared rule)."""
    return line_net(quantity, unit_price, discount_percent)


# loading and locking ------------------------------------------------------------
@dataclass(frozen=True)
class OrderOutline:
    """What an order's commands need before locking anything: whose it is and its SKUs."""

    order_id: str
    customer_id: str
    skus: dict[int, str]  # line_no -> sku


async def order_outline(conn: AsyncConnection, order_id: str) -> OrderOutline | None:
    rows = (
        await conn.execute(
            text(
                "SELECT o.customer_id, l.line_no, l.sku FROM orders o"
                " LEFT JOIN order_lines l ON l.order_id = o.order_id WHERE o.order_id = :id"
            ),
            {"id": order_id},
        )
    ).all()
    if not rows:
        return None
    return OrderOutline(
        order_id=order_id,
        customer_id=rows[0].customer_id,
        skus={r.line_no: r.sku for r in rows if r.line_no is not None},
    )


async def lock_order_rows(conn: AsyncConnection, order_ids: Iterable[str]) -> None:
    """Lock the read-model rows of ``order_ids`` until commit, in order id order."""
    wanted = sorted(set(order_ids))
    if wanted:
        await conn.execute(
            text("SELECT order_id FROM orders WHERE order_id = ANY(:ids) ORDER BY order_id FOR UPDATE"),
            {"ids": wanted},
        )


@dataclass
class LoadedOrder:
    order: Order
    recorded: list[RecordedEvent]
    events: list[EventModel]

    def details(self) -> OrderDetails:
        return order_details(self.order, self.recorded, self.events)


async def load_order(conn: AsyncConnection, store: EventStore, order_id: str) -> LoadedOrder | None:
    """The order rebuilt from its stream, with the recorded events."""
    recorded = await store.read_stream(conn, order_stream(order_id))
    if not recorded:
        return None
    events = [r.decode(store.catalog) for r in recorded]
    return LoadedOrder(Order.from_events(events), recorded, events)


# read model ---------------------------------------------------------------------
async def save_order(
    conn: AsyncConnection, order: Order, placed_at: dt.datetime, *, new: bool = False
) -> None:
    """Write the order's current state to ``orders``, ``order_lines`` and ``backorders``."""
    status = order.status
    await conn.execute(
        text(
            "INSERT INTO orders (order_id, customer_id, channel, sales_rep_id, currency, status,"
            " backorder_policy, placed_at, requested_delivery_date, version)"
            " VALUES (:id, :customer, :channel, :rep, :currency, :status, :policy, :placed_at, :delivery,"
            " :version)"
            " ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, version = EXCLUDED.version"
        ),
        {
            "id": order.order_id,
            "customer": order.customer_id,
            "channel": order.channel,
            "rep": order.sales_rep_id,
            "currency": order.currency or None,
            "status": status.value,
            "policy": order.backorder_policy,
            "placed_at": placed_at,
            "delivery": order.requested_delivery_date,
            "version": order.version,
        },
    )
    lines = sorted(order.lines.values(), key=lambda ln: ln.line_no)
    if lines:
        await conn.execute(
            text(
                "INSERT INTO order_lines (order_id, line_no, sku, quantity, unit_price, discount_percent,"
                " vat_rate, reserved, backordered, shipped, cancelled, reshipped)"
                " VALUES (:id, :line_no, :sku, :quantity, :price, :discount, :vat, :reserved, :backordered,"
                " :shipped, :cancelled, :reshipped)"
                " ON CONFLICT (order_id, line_no) DO UPDATE SET reserved = EXCLUDED.reserved,"
                " backordered = EXCLUDED.backordered, shipped = EXCLUDED.shipped,"
                " cancelled = EXCLUDED.cancelled, reshipped = EXCLUDED.reshipped"
            ),
            [
                {
                    "id": order.order_id,
                    "line_no": ln.line_no,
                    "sku": ln.sku,
                    "quantity": ln.quantity,
                    "price": ln.unit_price.amount,
                    "discount": ln.discount_percent,
                    "vat": ln.vat_rate,
                    "reserved": ln.reserved,
                    "backordered": ln.backordered,
                    "shipped": ln.shipped,
                    "cancelled": ln.cancelled,
                    "reshipped": ln.reshipped,
                }
                for ln in lines
            ],
        )
    if not new:
        await conn.execute(text("DELETE FROM backorders WHERE order_id = :id"), {"id": order.order_id})
    waiting = [ln for ln in lines if ln.backordered > 0] if status not in CLOSED else []
    if waiting:
        await conn.execute(
            text(
                "INSERT INTO backorders (order_id, line_no, sku, quantity, placed_at)"
                " VALUES (:id, :line_no, :sku, :quantity, :placed_at)"
            ),
            [
                {
                    "id": order.order_id,
                    "line_no": ln.line_no,
                    "sku": ln.sku,
                    "quantity": ln.backordered,
                    "placed_at": order.placed_at or placed_at,
                }
                for ln in waiting
            ],
        )


async def record_shipments(conn: AsyncConnection, events: Iterable[EventModel]) -> None:
    """Project shipment and delivery events into ``shipments``."""
    for event in events:
        if isinstance(event, OrderShipped):
            await conn.execute(
                text(
                    "INSERT INTO shipments (shipment_id, order_id, carrier, tracking_number, shipped_at,"
                    " replacement_for) VALUES (:sid, :oid, :carrier, :tracking, :at, :remedy)"
                ),
                {
                    "sid": event.shipment_id,
                    "oid": event.order_id,
                    "carrier": event.carrier,
                    "tracking": event.tracking_number,
                    "at": event.shipped_at,
                    "remedy": event.replacement_for,
                },
            )
        elif isinstance(event, OrderDelivered):
            await conn.execute(
                text("UPDATE shipments SET delivered_at = :at WHERE shipment_id = :sid"),
                {"sid": event.shipment_id, "at": event.delivered_at},
            )


async def shipment_order(conn: AsyncConnection, shipment_id: str) -> str | None:
    """The order a shipment id belongs to, if it is taken."""
    value = await conn.scalar(
        text("SELECT order_id FROM shipments WHERE shipment_id = :sid"), {"sid": shipment_id}
    )
    return str(value) if value is not None else None


# queries ------------------------------------------------------------------------
async def list_orders(
    conn: AsyncConnection,
    *,
    customer_id: str | None,
    status: str | None,
    channel: str | None,
    customers: Sequence[str] | None,
    after: tuple[dt.datetime, str] | None,
    limit: int,
) -> list[OrderSummary]:
    """Orders newest first, filtered, after the keyset position ``after`` (placed_at, order_id).

    ``customers`` limits the result to those customers (a partner's own); None: no limit.
    """
    rows = await conn.execute(
        text(
            "SELECT order_id, customer_id, channel, sales_rep_id, currency, status, placed_at, version"
            " FROM orders"
            " WHERE (CAST(:customer AS text) IS NULL OR customer_id = CAST(:customer AS text))"
            " AND (CAST(:status AS text) IS NULL OR status = CAST(:status AS text))"
            " AND (CAST(:channel AS text) IS NULL OR channel = CAST(:channel AS text))"
            " AND (CAST(:customers AS text[]) IS NULL OR customer_id = ANY(CAST(:customers AS text[])))"
            " AND (CAST(:after_at AS timestamptz) IS NULL"
            "      OR (placed_at, order_id) < (CAST(:after_at AS timestamptz), CAST(:after_id AS text)))"
            " ORDER BY placed_at DESC, order_id DESC LIMIT :limit"
        ),
        {
            "customer": customer_id,
            "status": status,
            "channel": channel,
            "customers": list(customers) if customers is not None else None,
            "after_at": after[0] if after else None,
            "after_id": after[1] if after else None,
            "limit": limit,
        },
    )
    return [
        OrderSummary(
            order_id=r.order_id,
            customer_id=r.customer_id,
            channel=r.channel,
            sales_rep_id=r.sales_rep_id,
            currency=r.currency,
            status=OrderStatus(r.status),
            placed_at=r.placed_at,
            version=r.version,
        )
        for r in rows
    ]
