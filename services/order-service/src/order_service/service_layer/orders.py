"""Order use cases: placement with reservation, shipments, cancellation, delivery and free
replacement shipments for support remedies."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.orders import Address, BackorderPolicy, Channel, OrderRejected, QuantityLine
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, InvalidInput, NotFound

from ..adapters.catalogue import get_products
from ..adapters.orders import (
    LoadedOrder,
    OrderOutline,
    order_details,
    order_outline,
    order_stream,
    save_order,
    shipment_order,
)
from ..adapters.stock import waiting_orders
from ..domain.order import LineRequest, Order, PlaceOrder
from ..settings import discount_limit
from .answers import NO_KEY, Answer, Idempotency, answer_once, problem_body
from .fulfilment import Fulfilment


def new_id() -> str:
    return str(uuid.uuid4())


async def place_order(
    ctx: ServiceContext,
    *,
    customer_id: str,
    channel: Channel,
    currency: str,
    lines: Sequence[LineRequest],
    shipping_address: Address,
    backorder_policy: BackorderPolicy,
    sales_rep_id: str | None = None,
    requested_delivery_date: dt.date | None = None,
    idempotency: Idempotency = NO_KEY,
) -> Answer:
    """Price the order, check availability and reserve stock, all in one transaction.

    The stock rows of the order's SKUs are locked (in SKU order) before availability is read,
    so concurrent orders queue per SKU and never oversell. An order that policy ``reject``
    turns away is recorded too (``OrderRejected``) and answered 422 ``insufficient-stock``
    with the short lines.
    """
    async with ctx.engine.begin() as conn:

        async def work() -> Answer:
            desk = Fulfilment(ctx, conn)
            request = PlaceOrder(
                order_id=new_id(),
                customer_id=customer_id,
                channel=channel,
                currency=currency,
                lines=lines,
                shipping_address=shipping_address,
                backorder_policy=backorder_policy,
                placed_at=desk.now,
                order_date=ctx.clock.date_of(desk.now),
                sales_rep_id=sales_rep_id,
                requested_delivery_date=requested_delivery_date,
            )
            skus = [line.sku for line in lines]
            await desk.lock(skus)
            placement = Order.place(
                request,
                products=await get_products(conn, skus),
                availability={sku: stock.available for sku, stock in desk.stock.items()},
                discount_limit=discount_limit(ctx.settings),
            )
            recorded = await ctx.store.append(
                conn, order_stream(request.order_id), "order", 0, placement.order_events, occurred_at=desk.now
            )
            order = Order.from_events(placement.order_events)
            await save_order(conn, order, desk.now, new=True)
            for sku in sorted(placement.stock_events):
                await desk.record_stock(sku, placement.stock_events[sku])
            details = order_details(order, recorded, placement.order_events)
            if placement.accepted:
                return Answer(201, details.model_dump(mode="json"), version=order.version)
            rejected = placement.order_events[0]
            assert isinstance(rejected, OrderRejected)
            short = "; ".join(
                f"line {s.line_no} ({s.sku}): {s.requested} requested, {s.available} available"
                for s in rejected.short_lines
            )
            body = problem_body(
                422,
                "insufficient-stock",
                "Order rejected",
                f"not enough stock and backorders are not allowed: {short}",
                field="lines",
                instance=f"/orders/{order.order_id}",
                order_id=order.order_id,
                short_lines=[s.model_dump(mode="json") for s in rejected.short_lines],
            )
            return Answer(422, body)

        return await answer_once(conn, idempotency, work)


async def ship_order(
    ctx: ServiceContext,
    order_id: str,
    *,
    lines: Sequence[tuple[int, int]],
    carrier: str,
    tracking_number: str | None = None,
    shipment_id: str | None = None,
    expected_version: int | None = None,
    idempotency: Idempotency = NO_KEY,
) -> Answer:
    """Record a (partial) shipment of reserved units; the stock is issued in the same transaction."""
    async with ctx.engine.begin() as conn:

        async def work() -> Answer:
            outline = await _outline(conn, order_id)
            desk = Fulfilment(ctx, conn)
            await desk.lock({outline.skus[no] for no, _ in lines if no in outline.skus}, [order_id])
            loaded = await desk.order(order_id)
            _check_version(loaded, expected_version)
            the_id = shipment_id or new_id()
            owner = await shipment_order(conn, the_id)
            if owner is not None:
                raise Conflict(
                    f"shipment {the_id} is already recorded", field="shipment_id", rule="shipment-exists"
                )
            events = loaded.order.ship(the_id, lines, carrier, tracking_number, desk.now)
            await desk.record(loaded, events)
            body = {"shipment_id": the_id, "order": loaded.details().model_dump(mode="json")}
            return Answer(201, body, version=loaded.order.version)

        return await answer_once(conn, idempotency, work)


async def cancel_order(
    ctx: ServiceContext,
    order_id: str,
    *,
    reason: str,
    line_nos: Sequence[int] | None = None,
    expected_version: int | None = None,
) -> Answer:
    """Cancel the unshipped rest (or the given whole lines) and release their reservations.

    The released units go first to lines waiting for those SKUs, oldest order first.
    """
    async with ctx.engine.begin() as conn:
        outline = await _outline(conn, order_id)
        skus = set(outline.skus.values())
        desk = Fulfilment(ctx, conn)
        await desk.lock(skus)
        # Released stock may fill other orders' backorders: lock them now, together with
        # this order and in order id order, rather than one by one later.
        await desk.lock_orders([order_id, *await waiting_orders(conn, skus)])
        loaded = await desk.order(order_id)
        _check_version(loaded, expected_version)
        order = loaded.order
        if line_nos is None:
            events = order.cancel(reason, desk.now)
        else:
            events = order.cancel_lines(line_nos, reason, desk.now)
        await desk.record(loaded, events)
        await desk.fill_backorders(skus)
        return Answer(200, loaded.details().model_dump(mode="json"), version=order.version)


async def deliver_shipment(
    ctx: ServiceContext,
    order_id: str,
    shipment_id: str,
    *,
    delivered_at: dt.datetime | None = None,
    expected_version: int | None = None,
) -> Answer:
    """The carrier delivered a shipment (at ``delivered_at``, default now)."""
    async with ctx.engine.begin() as conn:
        await _outline(conn, order_id)
        desk = Fulfilment(ctx, conn)
        await desk.lock([], [order_id])
        loaded = await desk.order(order_id)
        _check_version(loaded, expected_version)
        events = loaded.order.deliver(shipment_id, delivered_at or desk.now)
        await desk.record(loaded, events)
        return Answer(200, loaded.details().model_dump(mode="json"), version=loaded.order.version)


async def reship(
    ctx: ServiceContext,
    conn: AsyncConnection,
    *,
    order_id: str,
    remedy_id: str,
    lines: Sequence[QuantityLine],
) -> bool:
    """Ship a free replacement for a support remedy, in the caller's transaction.

    Returns False when the remedy already has its replacement (the order is idempotent per
    remedy id). Raises ``DomainError`` for a request that can never be met as it stands.
    """
    outline = await _outline(conn, order_id)
    for index, line in enumerate(lines):
        known = outline.skus.get(line.line_no)
        if known is not None and known != line.sku:
            raise InvalidInput(
                f"line {line.line_no} of order {order_id} is {known}, not {line.sku}",
                field=f"lines[{index}].sku",
                rule="sku-mismatch",
            )
    desk = Fulfilment(ctx, conn)
    await desk.lock({line.sku for line in lines if line.line_no in outline.skus}, [order_id])
    loaded = await desk.order(order_id)
    events = loaded.order.reship(
        remedy_id,
        [(line.line_no, line.quantity) for line in lines],
        shipment_id=f"reship-{remedy_id}",
        shipped_at=desk.now,
    )
    await desk.record(loaded, events)
    return bool(events)


async def _outline(conn: AsyncConnection, order_id: str) -> OrderOutline:
    outline = await order_outline(conn, order_id)
    if outline is None:
        raise NotFound(f"no order {order_id}", field="order_id", rule="unknown-order")
    return outline


def _check_version(loaded: LoadedOrder, expected_version: int | None) -> None:
    version = loaded.order.version
    if expected_version is not None and expected_version != version:
        raise Conflict(
            f"order {loaded.order.order_id} is at version {version}, not {expected_version}",
            field="If-Match",
            rule="version-mismatch",
        )
