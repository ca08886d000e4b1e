"""The order aggregate: placement rules, pricing, availability, shipments, cancellation,
delivery, backorder fills, free replacements and rebuild from events."""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pytest

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import (
    Address,
    LineBackordered,
    OrderCancelled,
    OrderDelivered,
    OrderFulfilled,
    OrderPlaced,
    OrderRejected,
    OrderShipped,
    QuantityLine,
    ShortLine,
    StockAllocated,
    StockReserved,
)
from backoffice_events.money import Money
from backoffice_platform.errors import Conflict, InvalidInput, NotFound
from order_service.domain import (
    LineRequest,
    Order,
    OrderStatus,
    Placement,
    PlaceOrder,
    Product,
    Stock,
    line_net,
    stock_movements_for,
)

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)
ADDRESS = Address(name="Ada", line1="Main St 1", postal_code="1011", city="Amsterdam", country="NL")


def product(sku: str, price: str, vat: str, currency: str = "EUR", active: bool = True) -> Product:
    return Product(
        sku=sku, name=sku.title(), unit_price=Money.of(price, currency), vat_rate=Decimal(vat), active=active
    )


PRODUCTS = {
    "W-1": product("W-1", "12.50", "0.21"),
    "G-2": product("G-2", "4.99", "0.09"),
    "OLD": product("OLD", "1.00", "0.21", active=False),
    "U-1": product("U-1", "3.00", "0.00", currency="USD"),
}


def request(*lines: LineRequest, **overrides: object) -> PlaceOrder:
    fields: dict[str, object] = {
        "order_id": "o-1",
        "customer_id": "c-1",
        "channel": "web",
        "currency": "EUR",
        "lines": lines or (LineRequest("W-1", 2),),
        "shipping_address": ADDRESS,
        "backorder_policy": "allow",
        "placed_at": T0,
        "order_date": T0.date(),
    }
    fields.update(overrides)
    return PlaceOrder(**fields)  # type: ignore[arg-type]


def place(
    *lines: LineRequest, availability: dict[str, int] | None = None, limit: str = "0", **overrides: object
) -> Placement:
    return Order.place(
        request(*lines, **overrides),
        products=PRODUCTS,
        availability={"W-1": 100, "G-2": 100} if availability is None else availability,
        discount_limit=Decimal(limit),
    )


def applied(order: Order, events: Sequence[EventModel]) -> Order:
    for event in events:
        order.apply(event)
    return order


def placed(*lines: LineRequest, availability: dict[str, int] | None = None) -> Order:
    placement = place(*lines, availability=availability)
    assert placement.accepted
    return Order.from_events(placement.order_events)


def invalid(excinfo: pytest.ExceptionInfo[InvalidInput]) -> tuple[str | None, str | None]:
    return excinfo.value.field, excinfo.value.rule


# placement: pricing -----------------------------------------------------------------


def test_lines_are_priced_from_the_catalogue_with_vat_rate() -> None:
    placement = place(LineRequest("W-1", 2), LineRequest("G-2", 1))
    placed_event = placement.order_events[0]
    assert isinstance(placed_event, OrderPlaced)
    first, second = placed_event.lines
    assert (first.line_no, first.sku, first.quantity) == (1, "W-1", 2)
    assert first.unit_price == Money.of("12.50", "EUR")
    assert first.vat_rate == Decimal("0.21")
    assert first.discount_percent == 0
    assert (second.line_no, second.unit_price, second.vat_rate) == (
        2,
        Money.of("4.99", "EUR"),
        Decimal("0.09"),
    )
    assert line_net(first) == Money.of("25.00", "EUR")
    assert placed_event.backorder_policy == "allow"
    assert placed_event.shipping_address == ADDRESS


def test_sales_rep_discount_within_limit_is_carried_and_priced() -> None:
    placement = place(LineRequest("W-1", 3, Decimal("10")), channel="sales", sales_rep_id="rep-7", limit="15")
    placed_event = placement.order_events[0]
    assert isinstance(placed_event, OrderPlaced)
    assert placed_event.sales_rep_id == "rep-7"
    [line] = placed_event.lines
    assert line.discount_percent == Decimal("10")
    assert line.unit_price == Money.of("12.50", "EUR"), "the list price stays; the discount is separate"
    assert line_net(line) == Money.of("33.75", "EUR")  # 3 x 12.50 x 0.90


def test_discount_exactly_at_limit_is_allowed_and_net_rounds_half_up() -> None:
    placement = place(LineRequest("G-2", 1, Decimal("15")), channel="sales", sales_rep_id="rep-7", limit="15")
    [line] = placement.order_events[0].lines  # type: ignore[union-attr]
    assert line_net(line) == Money.of("4.24", "EUR")  # 4.99 x 0.85 = 4.2415


def test_discount_above_the_reps_limit_is_refused() -> None:
    with pytest.raises(InvalidInput) as err:
        place(
            LineRequest("W-1", 1),
            LineRequest("W-1", 1, Decimal("15.01")),
            channel="sales",
            sales_rep_id="rep-7",
            limit="15",
        )
    assert invalid(err) == ("lines[1].discount_percent", "discount-above-limit")


@pytest.mark.parametrize(
    ("channel", "rep"), [("web", None), ("partner", "rep-7"), ("sales", None), ("sales", " ")]
)
def test_discount_needs_sales_channel_and_a_sales_rep(channel: str, rep: str | None) -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", 1, Decimal("5")), channel=channel, sales_rep_id=rep, limit="50")
    assert invalid(err) == ("lines[0].discount_percent", "discount-not-allowed")


def test_zero_discount_is_no_discount_on_any_channel() -> None:
    placement = place(LineRequest("W-1", 1, Decimal("0")))
    assert placement.order_events[0].lines[0].discount_percent == 0  # type: ignore[union-attr]


@pytest.mark.parametrize("discount", [Decimal("-1"), Decimal("100.5")])
def test_discount_out_of_range(discount: Decimal) -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", 1, discount), channel="sales", sales_rep_id="rep-7", limit="100")
    assert invalid(err) == ("lines[0].discount_percent", "discount-out-of-range")


# placement: input rules ------------------------------------------------------------


def test_unknown_sku() -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", 1), LineRequest("NOPE", 1))
    assert invalid(err) == ("lines[1].sku", "unknown-sku")


def test_inactive_sku() -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("OLD", 1))
    assert invalid(err) == ("lines[0].sku", "inactive-sku")


@pytest.mark.parametrize("quantity", [0, -3])
def test_quantity_not_positive(quantity: int) -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", quantity))
    assert invalid(err) == ("lines[0].quantity", "quantity-not-positive")


@pytest.mark.parametrize("quantity", [1.5, Decimal("2"), True, "2"])
def test_quantity_must_be_a_whole_number(quantity: object) -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", quantity))  # type: ignore[arg-type]
    assert invalid(err) == ("lines[0].quantity", "quantity-not-integer")


def test_currency_mismatch_with_the_product() -> None:
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", 1), currency="USD")
    assert invalid(err) == ("currency", "currency-mismatch")
    with pytest.raises(InvalidInput) as err:
        place(LineRequest("W-1", 1), LineRequest("U-1", 1))
    assert invalid(err) == ("currency", "currency-mismatch")


def test_unknown_currency() -> None:
    with pytest.raises(InvalidInput) as err:
        place(currency="XXX")
    assert invalid(err) == ("currency", "unknown-currency")


def test_at_least_one_line() -> None:
    with pytest.raises(InvalidInput) as err:
        Order.place(request(lines=()), products=PRODUCTS, availability={})
    assert invalid(err) == ("lines", "no-lines")


def test_required_fields_channel_policy_and_delivery_date() -> None:
    with pytest.raises(InvalidInput) as err:
        place(customer_id=" ")
    assert invalid(err) == ("customer_id", "required")
    with pytest.raises(InvalidInput) as err:
        place(channel="fax")
    assert invalid(err) == ("channel", "unknown-channel")
    with pytest.raises(InvalidInput) as err:
        place(backorder_policy="maybe")
    assert invalid(err) == ("backorder_policy", "unknown-backorder-policy")
    with pytest.raises(InvalidInput) as err:
        place(requested_delivery_date=dt.date(2024, 4, 30))
    assert invalid(err) == ("requested_delivery_date", "delivery-date-in-past")
    ok = place(requested_delivery_date=dt.date(2024, 5, 1))
    assert ok.order_events[0].requested_delivery_date == dt.date(2024, 5, 1)  # type: ignore[union-attr]


def test_the_order_date_is_the_company_date_not_the_utc_date() -> None:
    # Placed 23:30 UTC on 31 December in Copenhagen: the order date is 1 January, so a delivery
    # requested for 1 January is not in the past, and one for 31 December is.
    late = dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC)
    jan_1 = dt.date(2026, 1, 1)
    ok = place(placed_at=late, order_date=jan_1, requested_delivery_date=jan_1)
    assert ok.order_events[0].requested_delivery_date == jan_1  # type: ignore[union-attr]
    with pytest.raises(InvalidInput) as err:
        place(placed_at=late, order_date=jan_1, requested_delivery_date=dt.date(2025, 12, 31))
    assert invalid(err) == ("requested_delivery_date", "delivery-date-in-past")


# placement: availability -----------------------------------------------------------


def test_everything_available_is_reserved_on_order_and_stock() -> None:
    placement = place(LineRequest("W-1", 2), LineRequest("G-2", 1), availability={"W-1": 2, "G-2": 5})
    assert placement.accepted
    assert placement.order_events[1:] == [
        StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=2),
        StockReserved(order_id="o-1", line_no=2, sku="G-2", quantity=1),
    ]
    assert placement.stock_events == {
        "W-1": [StockAllocated(sku="W-1", order_id="o-1", line_no=1, quantity=2)],
        "G-2": [StockAllocated(sku="G-2", order_id="o-1", line_no=2, quantity=1)],
    }


def test_policy_reject_with_a_short_line_rejects_and_reserves_nothing() -> None:
    placement = place(
        LineRequest("W-1", 2),
        LineRequest("G-2", 5),
        availability={"W-1": 10, "G-2": 3},
        backorder_policy="reject",
    )
    assert not placement.accepted
    assert placement.order_events == [
        OrderRejected(
            order_id="o-1",
            customer_id="c-1",
            reason="insufficient stock",
            short_lines=[ShortLine(line_no=2, sku="G-2", requested=5, available=3)],
        )
    ]
    assert placement.stock_events == {}
    order = Order.from_events(placement.order_events)
    assert order.status is OrderStatus.REJECTED


def test_sku_missing_from_availability_counts_as_none() -> None:
    placement = place(LineRequest("W-1", 1), availability={}, backorder_policy="reject")
    assert placement.order_events[0].short_lines[0].available == 0  # type: ignore[union-attr]


def test_policy_allow_reserves_the_available_part_and_backorders_the_rest() -> None:
    placement = place(LineRequest("W-1", 5), LineRequest("G-2", 2), availability={"W-1": 3})
    assert placement.order_events[1:] == [
        StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=3),
        LineBackordered(order_id="o-1", line_no=1, sku="W-1", quantity=2),
        LineBackordered(order_id="o-1", line_no=2, sku="G-2", quantity=2),
    ]
    assert placement.stock_events == {
        "W-1": [StockAllocated(sku="W-1", order_id="o-1", line_no=1, quantity=3)]
    }
    order = Order.from_events(placement.order_events)
    assert (order.lines[1].reserved, order.lines[1].backordered) == (3, 2)
    assert (order.lines[2].reserved, order.lines[2].backordered) == (0, 2)
    assert order.status is OrderStatus.PLACED


def test_same_sku_on_two_lines_is_checked_against_combined_availability() -> None:
    # Each line alone fits in 5, together they need 6.
    lines = (LineRequest("W-1", 3), LineRequest("W-1", 3))
    rejected = place(*lines, availability={"W-1": 5}, backorder_policy="reject")
    assert not rejected.accepted
    assert rejected.order_events[0].short_lines == [  # type: ignore[union-attr]
        ShortLine(line_no=2, sku="W-1", requested=3, available=2)
    ]
    allowed = place(*lines, availability={"W-1": 5})
    assert allowed.order_events[1:] == [
        StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=3),
        StockReserved(order_id="o-1", line_no=2, sku="W-1", quantity=2),
        LineBackordered(order_id="o-1", line_no=2, sku="W-1", quantity=1),
    ]
    assert sum(e.quantity for e in allowed.stock_events["W-1"]) == 5
    # The reservations fit the real stock exactly.
    stock = Stock.from_events("W-1", [*Stock(sku="W-1").receive(5)])
    for event in allowed.stock_events["W-1"]:
        stock.reserve(event.order_id, event.line_no, event.quantity)
        stock.apply(event)
    assert stock.available == 0


# shipping ---------------------------------------------------------------------------


def test_partial_then_rest_shipment_fulfils_the_order() -> None:
    order = placed(LineRequest("W-1", 5), LineRequest("G-2", 2))
    first = order.ship("sh-1", [(1, 2)], "DHL", "TRK1", T0)
    assert [type(e) for e in first] == [OrderShipped]
    shipped = first[0]
    assert isinstance(shipped, OrderShipped)
    [line] = shipped.lines
    assert (line.line_no, line.sku, line.quantity, line.unit_price, line.vat_rate) == (
        1,
        "W-1",
        2,
        Money.of("12.50", "EUR"),
        Decimal("0.21"),
    )
    assert (shipped.customer_id, shipped.currency, shipped.replacement_for) == ("c-1", "EUR", None)
    applied(order, first)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED
    assert (order.lines[1].reserved, order.lines[1].shipped) == (3, 2)

    later = T0 + dt.timedelta(days=1)
    rest = order.ship("sh-2", [(1, 3), (2, 2)], "DHL", None, later)
    assert [type(e) for e in rest] == [OrderShipped, OrderFulfilled]
    assert rest[1] == OrderFulfilled(order_id="o-1", fulfilled_at=later)
    order = applied(order, rest)
    assert order.status is OrderStatus.FULFILLED


def test_cannot_ship_more_than_reserved_and_unshipped() -> None:
    order = placed(LineRequest("W-1", 5), availability={"W-1": 3})
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-1", [(1, 4)], "DHL", None, T0)
    assert (conflict.value.field, conflict.value.rule) == ("lines[0].quantity", "ship-exceeds-reserved")
    # The same line twice in one shipment counts together.
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-1", [(1, 2), (1, 2)], "DHL", None, T0)
    assert (conflict.value.field, conflict.value.rule) == ("lines[1].quantity", "ship-exceeds-reserved")
    applied(order, order.ship("sh-1", [(1, 3)], "DHL", None, T0))
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-2", [(1, 1)], "DHL", None, T0)
    assert conflict.value.rule == "ship-exceeds-reserved"


def test_same_line_twice_in_a_shipment_is_merged() -> None:
    order = placed(LineRequest("W-1", 4))
    [shipped, _] = order.ship("sh-1", [(1, 1), (1, 3)], "DHL", None, T0)
    assert [(ln.line_no, ln.quantity) for ln in shipped.lines] == [(1, 4)]  # type: ignore[union-attr]


def test_ship_rejects_unknown_lines_bad_quantities_and_duplicate_shipments() -> None:
    order = placed(LineRequest("W-1", 4))
    with pytest.raises(InvalidInput) as err:
        order.ship("sh-1", [(9, 1)], "DHL", None, T0)
    assert invalid(err) == ("lines[0].line_no", "unknown-line")
    with pytest.raises(InvalidInput) as err:
        order.ship("sh-1", [(1, 0)], "DHL", None, T0)
    assert invalid(err) == ("lines[0].quantity", "quantity-not-positive")
    with pytest.raises(InvalidInput) as err:
        order.ship("sh-1", [], "DHL", None, T0)
    assert invalid(err) == ("lines", "no-lines")
    with pytest.raises(InvalidInput) as err:
        order.ship("sh-1", [(1, 1)], "", None, T0)
    assert invalid(err) == ("carrier", "required")
    applied(order, order.ship("sh-1", [(1, 1)], "DHL", None, T0))
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-1", [(1, 1)], "DHL", None, T0)
    assert conflict.value.rule == "shipment-exists"


def test_cannot_ship_a_cancelled_or_rejected_order() -> None:
    order = placed(LineRequest("W-1", 2))
    applied(order, order.cancel("customer changed mind", T0))
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-1", [(1, 1)], "DHL", None, T0)
    assert conflict.value.rule == "order-cancelled"

    rejected = Order.from_events(place(availability={}, backorder_policy="reject").order_events)
    with pytest.raises(Conflict) as conflict:
        rejected.ship("sh-1", [(1, 1)], "DHL", None, T0)
    assert conflict.value.rule == "order-cancelled"


def test_backordered_units_ship_once_the_backorder_is_filled() -> None:
    order = placed(LineRequest("W-1", 5), availability={"W-1": 2})
    applied(order, order.ship("sh-1", [(1, 2)], "DHL", None, T0))
    with pytest.raises(Conflict):
        order.ship("sh-2", [(1, 1)], "DHL", None, T0)
    fill = order.fill_backorder(1, 3)
    assert fill == [StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=3)]
    applied(order, fill)
    assert (order.lines[1].reserved, order.lines[1].backordered) == (3, 0)
    events = order.ship("sh-2", [(1, 3)], "DHL", None, T0)
    assert isinstance(events[-1], OrderFulfilled)


def test_fill_backorder_guards() -> None:
    order = placed(LineRequest("W-1", 5), availability={"W-1": 2})
    with pytest.raises(Conflict) as conflict:
        order.fill_backorder(1, 4)
    assert (conflict.value.field, conflict.value.rule) == ("quantity", "exceeds-backorder")
    with pytest.raises(InvalidInput) as err:
        order.fill_backorder(7, 1)
    assert invalid(err) == ("line_no", "unknown-line")
    with pytest.raises(InvalidInput) as err:
        order.fill_backorder(1, 0)
    assert invalid(err) == ("quantity", "quantity-not-positive")
    applied(order, order.cancel("gone", T0))
    with pytest.raises(Conflict) as conflict:
        order.fill_backorder(1, 1)
    assert conflict.value.rule == "order-cancelled"


# cancellation -----------------------------------------------------------------------


def test_cancel_releases_reservations_and_cancels_backorders() -> None:
    order = placed(LineRequest("W-1", 5), LineRequest("G-2", 1), availability={"W-1": 3, "G-2": 0})
    [event] = order.cancel("customer request", T0)
    assert event == OrderCancelled(
        order_id="o-1",
        reason="customer request",
        released=[QuantityLine(line_no=1, sku="W-1", quantity=3)],
        cancelled=[
            QuantityLine(line_no=1, sku="W-1", quantity=5),
            QuantityLine(line_no=2, sku="G-2", quantity=1),
        ],
        cancelled_at=T0,
    )
    applied(order, [event])
    assert order.status is OrderStatus.CANCELLED
    assert all((ln.reserved, ln.backordered, ln.open) == (0, 0, 0) for ln in order.lines.values())
    # The stock side gives the reserved units back.
    stock = Stock.from_events(
        "W-1",
        [*Stock(sku="W-1").receive(3), StockAllocated(sku="W-1", order_id="o-1", line_no=1, quantity=3)],
    )
    movements = stock_movements_for([event], {"W-1": stock})
    assert movements == {"W-1": [StockAllocated(sku="W-1", order_id="o-1", line_no=1, quantity=-3)]}


def test_cancel_needs_a_reason_and_only_once() -> None:
    order = placed(LineRequest("W-1", 1))
    with pytest.raises(InvalidInput) as err:
        order.cancel("", T0)
    assert invalid(err) == ("reason", "required")
    applied(order, order.cancel("x", T0))
    with pytest.raises(Conflict) as conflict:
        order.cancel("again", T0)
    assert conflict.value.rule == "order-cancelled"


def test_cancelling_a_fully_shipped_order_is_refused() -> None:
    order = placed(LineRequest("W-1", 2))
    applied(order, order.ship("sh-1", [(1, 2)], "DHL", None, T0))
    with pytest.raises(Conflict) as conflict:
        order.cancel("too late", T0)
    assert conflict.value.rule == "already-shipped"


def test_cancelling_the_rest_of_a_partially_shipped_order_completes_it() -> None:
    order = placed(LineRequest("W-1", 5), LineRequest("G-2", 2))
    applied(order, order.ship("sh-1", [(1, 2)], "DHL", None, T0))
    events = order.cancel("rest not needed", T0)
    cancelled, fulfilled = events
    assert isinstance(cancelled, OrderCancelled) and isinstance(fulfilled, OrderFulfilled)
    assert cancelled.released == [
        QuantityLine(line_no=1, sku="W-1", quantity=3),
        QuantityLine(line_no=2, sku="G-2", quantity=2),
    ]
    applied(order, events)
    assert order.status is OrderStatus.FULFILLED
    assert (order.lines[1].shipped, order.lines[1].cancelled) == (2, 3)
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-2", [(1, 1)], "DHL", None, T0)
    assert conflict.value.rule == "order-cancelled"


def test_cancel_lines_cancels_only_those_lines() -> None:
    order = placed(LineRequest("W-1", 2), LineRequest("G-2", 3))
    [event] = order.cancel_lines([2], "out of season", T0)
    assert isinstance(event, OrderCancelled)
    assert event.released == [QuantityLine(line_no=2, sku="G-2", quantity=3)]
    assert event.cancelled == [QuantityLine(line_no=2, sku="G-2", quantity=3)]
    applied(order, [event])
    assert order.status is OrderStatus.PLACED
    with pytest.raises(Conflict) as conflict:
        order.ship("sh-1", [(2, 1)], "DHL", None, T0)
    assert conflict.value.rule == "line-cancelled"
    # Fulfilment counts ordered minus cancelled.
    assert isinstance(order.ship("sh-1", [(1, 2)], "DHL", None, T0)[-1], OrderFulfilled)


def test_cancel_lines_refuses_shipped_unknown_and_cancelled_lines() -> None:
    order = placed(LineRequest("W-1", 2), LineRequest("G-2", 3))
    applied(order, order.ship("sh-1", [(1, 1)], "DHL", None, T0))
    with pytest.raises(Conflict) as conflict:
        order.cancel_lines([2, 1], "x", T0)
    assert (conflict.value.field, conflict.value.rule) == ("line_nos[1]", "line-shipped")
    with pytest.raises(InvalidInput) as err:
        order.cancel_lines([5], "x", T0)
    assert invalid(err) == ("line_nos[0]", "unknown-line")
    with pytest.raises(InvalidInput) as err:
        order.cancel_lines([], "x", T0)
    assert invalid(err) == ("line_nos", "no-lines")
    applied(order, order.cancel_lines([2], "x", T0))
    with pytest.raises(Conflict) as conflict:
        order.cancel_lines([2], "x", T0)
    assert conflict.value.rule == "line-cancelled"


def test_cancelling_the_last_open_line_after_shipping_the_others_fulfils() -> None:
    order = placed(LineRequest("W-1", 2), LineRequest("G-2", 3))
    applied(order, order.ship("sh-1", [(1, 2)], "DHL", None, T0))
    events = order.cancel_lines([2], "x", T0)
    assert [type(e) for e in events] == [OrderCancelled, OrderFulfilled]


def test_cancelling_every_line_one_by_one_cancels_the_order() -> None:
    order = placed(LineRequest("W-1", 2), LineRequest("G-2", 3))
    applied(order, order.cancel_lines([1, 2, 1], "x", T0))
    assert order.status is OrderStatus.CANCELLED


# delivery ---------------------------------------------------------------------------


def test_deliver_records_delivery_and_order_is_delivered_when_all_shipments_are() -> None:
    order = placed(LineRequest("W-1", 4))
    applied(order, order.ship("sh-1", [(1, 1)], "DHL", None, T0))
    delivered = order.deliver("sh-1", T0 + dt.timedelta(days=2))
    assert delivered == [
        OrderDelivered(order_id="o-1", shipment_id="sh-1", delivered_at=T0 + dt.timedelta(days=2))
    ]
    applied(order, delivered)
    assert order.status is OrderStatus.PARTIALLY_SHIPPED, "more to ship"
    order = applied(order, order.ship("sh-2", [(1, 3)], "DHL", None, T0 + dt.timedelta(days=3)))
    assert order.status is OrderStatus.FULFILLED
    order = applied(order, order.deliver("sh-2", T0 + dt.timedelta(days=4)))
    assert order.status is OrderStatus.DELIVERED


def test_deliver_unknown_or_twice() -> None:
    order = placed(LineRequest("W-1", 1))
    with pytest.raises(NotFound) as missing:
        order.deliver("nope", T0)
    assert (missing.value.field, missing.value.rule) == ("shipment_id", "unknown-shipment")
    applied(order, order.ship("sh-1", [(1, 1)], "DHL", None, T0))
    with pytest.raises(InvalidInput) as err:
        order.deliver("sh-1", T0 - dt.timedelta(minutes=1))
    assert err.value.rule == "delivered-before-shipped"
    applied(order, order.deliver("sh-1", T0))
    with pytest.raises(Conflict) as conflict:
        order.deliver("sh-1", T0)
    assert conflict.value.rule == "already-delivered"


# free replacement shipments -----------------------------------------------------------


def shipped_order() -> Order:
    order = placed(LineRequest("W-1", 3), LineRequest("G-2", 2))
    return applied(order, order.ship("sh-1", [(1, 3)], "DHL", None, T0))


def test_reship_ships_shipped_lines_free_of_charge() -> None:
    order = shipped_order()
    [event] = order.reship("rem-1", [(1, 2)], "sh-r1", T0 + dt.timedelta(days=5))
    assert event.replacement_for == "rem-1"
    [line] = event.lines
    assert (line.line_no, line.sku, line.quantity) == (1, "W-1", 2)
    assert line.unit_price == Money.zero("EUR")
    assert line.vat_rate == Decimal("0.21")
    assert line_net(line).is_zero
    # A replacement comes from available stock, not from a reservation.
    stock = Stock.from_events("W-1", Stock(sku="W-1").receive(2))
    issued = stock_movements_for([event], {"W-1": stock})["W-1"][0]
    assert issued.from_reserved is False  # type: ignore[union-attr]
    applied(order, [event])
    assert order.lines[1].reshipped == 2
    assert order.lines[1].shipped == 3, "a replacement does not count as fulfilment"
    assert order.status is OrderStatus.PARTIALLY_SHIPPED


def test_reship_is_idempotent_per_remedy() -> None:
    order = shipped_order()
    first = order.reship("rem-1", [(1, 1)], "sh-r1", T0)
    applied(order, first)
    assert order.reship("rem-1", [(1, 1)], "sh-r2", T0) == []
    assert order.reship("rem-1", [(1, 1)], "sh-r1", T0) == []
    assert len(order.reship("rem-2", [(1, 1)], "sh-r2", T0)) == 1


def test_reship_only_for_shipped_lines_and_quantities() -> None:
    order = shipped_order()
    with pytest.raises(Conflict) as conflict:
        order.reship("rem-1", [(2, 1)], "sh-r1", T0)
    assert (conflict.value.field, conflict.value.rule) == ("lines[0].line_no", "line-not-shipped")
    with pytest.raises(Conflict) as conflict:
        order.reship("rem-1", [(1, 2), (1, 2)], "sh-r1", T0)
    assert (conflict.value.field, conflict.value.rule) == ("lines[1].quantity", "reship-exceeds-shipped")
    with pytest.raises(InvalidInput) as err:
        order.reship("rem-1", [(9, 1)], "sh-r1", T0)
    assert invalid(err) == ("lines[0].line_no", "unknown-line")
    with pytest.raises(Conflict) as conflict:
        order.reship("rem-1", [(1, 1)], "sh-1", T0)
    assert conflict.value.rule == "shipment-exists"


def test_replacement_shipment_can_be_delivered() -> None:
    order = shipped_order()
    applied(order, order.reship("rem-1", [(1, 1)], "sh-r1", T0))
    assert order.deliver("sh-r1", T0 + dt.timedelta(days=1))[0].shipment_id == "sh-r1"


# rebuild ----------------------------------------------------------------------------


def test_order_rebuilds_from_its_events_with_version() -> None:
    placement = place(LineRequest("W-1", 5), LineRequest("G-2", 2), availability={"W-1": 3, "G-2": 2})
    live = Order.from_events(placement.order_events)
    history: list[EventModel] = list(placement.order_events)

    def step(events: Sequence[EventModel]) -> None:
        applied(live, events)
        history.extend(events)

    step(live.ship("sh-1", [(1, 3), (2, 2)], "DHL", "T1", T0))
    step(live.fill_backorder(1, 2))
    step(live.deliver("sh-1", T0 + dt.timedelta(days=1)))
    step(live.ship("sh-2", [(1, 2)], "UPS", None, T0 + dt.timedelta(days=2)))
    step(live.reship("rem-1", [(2, 1)], "sh-r", T0 + dt.timedelta(days=3)))

    rebuilt = Order.from_events(history)
    assert rebuilt == live
    assert rebuilt.version == len(history) == 10
    assert rebuilt.status is OrderStatus.FULFILLED
    assert rebuilt.fulfilled_at == T0 + dt.timedelta(days=2)
    assert rebuilt.remedy_ids == {"rem-1"}
    assert (rebuilt.customer_id, rebuilt.currency, rebuilt.channel) == ("c-1", "EUR", "web")


def test_commands_do_not_change_the_order() -> None:
    order = placed(LineRequest("W-1", 2))
    before = Order.from_events(place(LineRequest("W-1", 2)).order_events)
    order.ship("sh-1", [(1, 1)], "DHL", None, T0)
    order.cancel("x", T0)
    assert order == before


def test_rebuild_needs_a_placement_event_first() -> None:
    with pytest.raises(ValueError):
        Order.from_events([])
    with pytest.raises(ValueError):
        Order.from_events([StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=1)])


def test_cancelled_event_without_per_line_quantities_cancels_the_whole_rest() -> None:
    order = placed(LineRequest("W-1", 5), availability={"W-1": 3})
    applied(
        order,
        [
            OrderCancelled(
                order_id="o-1",
                reason="x",
                cancelled_at=T0,
                released=[QuantityLine(line_no=1, sku="W-1", quantity=3)],
            )
        ],
    )
    assert (order.lines[1].cancelled, order.lines[1].reserved, order.status) == (5, 0, OrderStatus.CANCELLED)
