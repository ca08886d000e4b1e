"""Order endpoints: placement, reads, shipments, cancellation and delivery."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.catalog.orders import Address, BackorderPolicy, Channel
from backoffice_platform.app import ctx_of, require
from backoffice_platform.auth import Principal, Role
from backoffice_platform.errors import InvalidInput, NotFound
from backoffice_platform.http import IsoDate, etag, parse_if_match
from backoffice_platform.pagination import encode_cursor
from backoffice_platform.problems import PROBLEM_JSON

from ..adapters.orders import OrderDetails, OrderSummary, list_orders, load_order
from ..domain.order import LineRequest, OrderStatus
from ..service_layer import orders
from ..service_layer.answers import Idempotency
from .common import IDEMPOTENCY_KEY_DOC, MAX_LINES, Quantity, cursor_position, respond

router = APIRouter(prefix="/orders", tags=["orders"])

PLACERS = (Role.ORDER_CLERK, Role.SALES_REP, Role.PARTNER)
READERS = (Role.ORDER_CLERK, Role.SALES_REP, Role.PARTNER, Role.SUPPORT_AGENT, Role.BILLING_CLERK)
PROBLEM = {"description": "Problem details (RFC 9457)", "content": {PROBLEM_JSON: {}}}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShippingAddress(_Body):
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    postal_code: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")


class NewOrderLine(_Body):
    sku: str = Field(min_length=1, max_length=64)
    quantity: Quantity
    discount_percent: Decimal | None = Field(
        default=None, description="percent off the list price; sales channel with a sales rep only"
    )


class NewOrder(_Body):
    customer_id: str = Field(min_length=1, max_length=100)
    channel: Channel
    sales_rep_id: str | None = Field(default=None, max_length=100)
    currency: str = Field(min_length=3, max_length=3)
    lines: list[NewOrderLine] = Field(min_length=1, max_length=MAX_LINES)
    shipping_address: ShippingAddress
    requested_delivery_date: IsoDate | None = None
    backorder_policy: BackorderPolicy = Field(
        description="allow: reserve what is there and backorder the rest; reject: all or nothing"
    )


class ShipmentLine(_Body):
    line_no: int = Field(ge=1, le=MAX_LINES)
    quantity: Quantity


class NewShipment(_Body):
    shipment_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="generated when not given"
    )
    lines: list[ShipmentLine] = Field(min_length=1, max_length=500)
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)


class Cancellation(_Body):
    reason: str = Field(default="cancelled on request", min_length=1, max_length=500)
    line_nos: list[int] | None = Field(
        default=None, description="whole lines to cancel; all unshipped units when left out"
    )


class Delivery(_Body):
    delivered_at: dt.datetime | None = Field(default=None, description="default: now")


class ShipmentRecorded(BaseModel):
    shipment_id: str
    order: OrderDetails


class OrderPage(BaseModel):
    items: list[OrderSummary]
    next_cursor: str | None


@router.post(
    "",
    status_code=201,
    response_model=OrderDetails,
    responses={
        422: {
            "description": "Invalid order, or rejected for lack of stock (rule insufficient-stock, "
            "with order_id and short_lines; the rejection is recorded)",
            "content": {PROBLEM_JSON: {}},
        },
        409: PROBLEM,
    },
)
async def place_order(
    body: NewOrder,
    request: Request,
    principal: Annotated[Principal, Depends(require(*PLACERS))],
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_KEY_DOC)] = None,
) -> JSONResponse:
    """Place an order: priced from the catalogue, stock checked and reserved in one transaction."""
    if not principal.can_see_customer(body.customer_id):
        raise NotFound(f"no customer {body.customer_id}", field="customer_id", rule="unknown-customer")
    if principal.is_partner and body.channel != "partner":
        # A partner's key may not pose as a sales rep (who may grant discounts).
        raise InvalidInput(
            "orders placed with a partner key use channel partner",
            field="channel",
            rule="channel-not-allowed",
        )
    address = body.shipping_address
    answer = await orders.place_order(
        ctx_of(request),
        customer_id=body.customer_id,
        channel=body.channel,
        currency=body.currency,
        lines=[LineRequest(line.sku, line.quantity, line.discount_percent) for line in body.lines],
        shipping_address=Address(**address.model_dump()),
        backorder_policy=body.backorder_policy,
        sales_rep_id=body.sales_rep_id,
        requested_delivery_date=body.requested_delivery_date,
        idempotency=Idempotency(f"{principal.name}:orders", idempotency_key, body.model_dump(mode="json")),
    )
    return respond(answer)


@router.get("", response_model=OrderPage)
async def list_all_orders(
    request: Request,
    principal: Annotated[Principal, Depends(require(*READERS, read=True))],
    customer_id: str | None = None,
    status: OrderStatus | None = None,
    channel: Channel | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrderPage:
    """Orders newest first, filtered; partners see their own customers' orders only."""
    position = cursor_position(cursor, "placed_at", "order_id")
    after: tuple[dt.datetime, str] | None = None
    if position is not None:
        try:
            after = (dt.datetime.fromisoformat(position["placed_at"]), position["order_id"])
        except ValueError:
            raise InvalidInput(
                "cursor is not one this API issued", field="cursor", rule="cursor-invalid"
            ) from None
    async with ctx_of(request).engine.connect() as conn:
        found = await list_orders(
            conn,
            customer_id=customer_id,
            status=status.value if status else None,
            channel=channel,
            customers=sorted(principal.customers) if principal.is_partner else None,
            after=after,
            limit=limit + 1,
        )
    page = found[:limit]
    next_cursor = None
    if len(found) > limit and page:
        last = page[-1]
        next_cursor = encode_cursor({"placed_at": last.placed_at.isoformat(), "order_id": last.order_id})
    return OrderPage(items=page, next_cursor=next_cursor)


@router.get("/{order_id}", response_model=OrderDetails)
async def read_order(
    order_id: str,
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(require(*READERS, read=True))],
) -> OrderDetails:
    """The order as it stands, with its event history."""
    ctx = ctx_of(request)
    async with ctx.engine.connect() as conn:
        loaded = await load_order(conn, ctx.store, order_id)
    if loaded is None or not principal.can_see_customer(loaded.order.customer_id):
        raise NotFound(f"no order {order_id}", field="order_id", rule="unknown-order")
    response.headers["ETag"] = etag(loaded.order.version)
    return loaded.details()


@router.post(
    "/{order_id}/shipments",
    status_code=201,
    response_model=ShipmentRecorded,
    responses={404: PROBLEM, 409: PROBLEM},
)
async def ship_order(
    order_id: str,
    body: NewShipment,
    request: Request,
    principal: Annotated[Principal, Depends(require(Role.ORDER_CLERK))],
    idempotency_key: Annotated[str | None, Header(description=IDEMPOTENCY_KEY_DOC)] = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Record a full or partial shipment of reserved units; the stock leaves with it."""
    answer = await orders.ship_order(
        ctx_of(request),
        order_id,
        lines=[(line.line_no, line.quantity) for line in body.lines],
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        shipment_id=body.shipment_id,
        expected_version=parse_if_match(if_match),
        idempotency=Idempotency(
            f"{principal.name}:shipments:{order_id}", idempotency_key, body.model_dump(mode="json")
        ),
    )
    return respond(answer)


@router.post("/{order_id}/cancel", response_model=OrderDetails, responses={404: PROBLEM, 409: PROBLEM})
async def cancel_order(
    order_id: str,
    request: Request,
    _: Annotated[Principal, Depends(require(Role.ORDER_CLERK))],
    body: Cancellation | None = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Cancel what has not shipped (or whole unshipped lines) and release its reservations."""
    cancellation = body or Cancellation()
    answer = await orders.cancel_order(
        ctx_of(request),
        order_id,
        reason=cancellation.reason,
        line_nos=cancellation.line_nos,
        expected_version=parse_if_match(if_match),
    )
    return respond(answer)


@router.post(
    "/{order_id}/shipments/{shipment_id}/delivery",
    response_model=OrderDetails,
    responses={404: PROBLEM, 409: PROBLEM},
)
async def deliver_shipment(
    order_id: str,
    shipment_id: str,
    request: Request,
    _: Annotated[Principal, Depends(require(Role.ORDER_CLERK))],
    body: Delivery | None = None,
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """The carrier delivered the shipment."""
    answer = await orders.deliver_shipment(
        ctx_of(request),
        order_id,
        shipment_id,
        delivered_at=body.delivered_at if body else None,
        expected_version=parse_if_match(if_match),
    )
    return respond(answer)
