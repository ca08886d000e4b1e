"""Stock per SKU: receipts, adjustments, reservations, issues, backorder fills."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import (
    OrderCancelled,
    OrderShipped,
    QuantityLine,
    ShippedLine,
    StockAdjusted,
    StockAdjustedV1,
    StockAllocated,
    StockIssued,
    StockReceived,
    StockReserved,
)
from backoffice_events.money import Money
from backoffice_platform.errors import Conflict, InvalidInput
from order_service.domain import BackorderedLine, BackorderFill, Stock, fill_backorders, stock_movements_for

T0 = dt.datetime(2024, 5, 1, 9, 0, tzinfo=dt.UTC)


def stock(on_hand: int = 10, reserved: int = 0) -> Stock:
    events: list[EventModel] = [StockReceived(sku="W-1", quantity=on_hand)]
    if reserved:
        events.append(StockAllocated(sku="W-1", order_id="o-0", line_no=1, quantity=reserved))
    return Stock.from_events("W-1", events)


def test_available_is_on_hand_minus_reserved() -> None:
    s = stock(10, 4)
    assert (s.on_hand, s.reserved, s.available, s.version) == (10, 4, 6, 2)


def test_receive_adds_on_hand() -> None:
    s = Stock(sku="W-1")
    [event] = s.receive(5, reference="PO-7")
    assert event == StockReceived(sku="W-1", quantity=5, reference="PO-7")
    assert s.on_hand == 0, "commands do not change the stock"
    s.apply(event)
    assert s.on_hand == 5


@pytest.mark.parametrize(
    ("quantity", "rule"),
    [(0, "quantity-not-positive"), (-2, "quantity-not-positive"), (1.5, "quantity-not-integer")],
)
def test_receive_refuses_bad_quantity(quantity: object, rule: str) -> None:
    with pytest.raises(InvalidInput) as err:
        stock().receive(quantity)  # type: ignore[arg-type]
    assert (err.value.field, err.value.rule) == ("quantity", rule)


def test_adjust_down_and_up() -> None:
    s = stock(10)
    [event] = s.adjust(-3, "damaged in storage")
    assert event == StockAdjusted(sku="W-1", delta=-3, reason="damaged in storage")
    s.apply(event)
    assert s.on_hand == 7


def test_adjust_needs_a_reason_and_nonzero_delta() -> None:
    with pytest.raises(InvalidInput) as err:
        stock().adjust(-1, " ")
    assert (err.value.field, err.value.rule) == ("reason", "required")
    with pytest.raises(InvalidInput) as err:
        stock().adjust(0, "count")
    assert err.value.rule == "delta-zero"


def test_adjust_may_not_drop_below_zero_or_below_reserved() -> None:
    with pytest.raises(Conflict) as conflict:
        stock(10).adjust(-11, "lost")
    assert conflict.value.rule == "stock-below-zero"
    with pytest.raises(Conflict) as conflict:
        stock(10, 8).adjust(-3, "lost")
    assert conflict.value.rule == "stock-below-reserved"
    assert stock(10, 8).adjust(-2, "lost")[0].delta == -2


def test_old_adjusted_v1_events_still_rebuild() -> None:
    s = Stock.from_events(
        "W-1", [StockReceived(sku="W-1", quantity=5), StockAdjustedV1(sku="W-1", delta=-2, note="x")]
    )
    assert s.on_hand == 3


def test_reserve_never_more_than_available() -> None:
    s = stock(10, 7)
    [event] = s.reserve("o-1", 2, 3)
    assert event == StockAllocated(sku="W-1", order_id="o-1", line_no=2, quantity=3)
    with pytest.raises(Conflict) as conflict:
        s.reserve("o-1", 2, 4)
    assert conflict.value.rule == "insufficient-stock"


def test_release_is_a_negative_allocation_and_bounded_by_reserved() -> None:
    s = stock(10, 4)
    [event] = s.release("o-0", 1, 4)
    assert event.quantity == -4
    s.apply(event)
    assert (s.reserved, s.available) == (0, 10)
    with pytest.raises(Conflict) as conflict:
        s.release("o-0", 1, 1)
    assert conflict.value.rule == "release-exceeds-reserved"


def test_issue_from_reserved_lowers_on_hand_and_reserved() -> None:
    s = stock(10, 4)
    [event] = s.issue("o-0", "sh-1", 3)
    assert isinstance(event, StockIssued) and event.from_reserved
    s.apply(event)
    assert (s.on_hand, s.reserved, s.available) == (7, 1, 6)
    with pytest.raises(Conflict) as conflict:
        s.issue("o-0", "sh-2", 2)
    assert conflict.value.rule == "issue-exceeds-reserved"


def test_free_replacement_issues_from_available_stock() -> None:
    s = stock(10, 8)
    [event] = s.issue("o-0", "sh-r", 2, from_reserved=False)
    s.apply(event)
    assert (s.on_hand, s.reserved, s.available) == (8, 8, 0)
    with pytest.raises(Conflict) as conflict:
        s.issue("o-0", "sh-r2", 1, from_reserved=False)
    assert conflict.value.rule == "insufficient-stock"


def test_apply_refuses_foreign_events() -> None:
    with pytest.raises(ValueError):
        Stock(sku="W-1").apply(StockReserved(order_id="o", line_no=1, sku="W-1", quantity=1))


def test_stock_movements_for_order_events() -> None:
    eur = Money.of("1.00", "EUR")
    line = ShippedLine(line_no=1, sku="W-1", quantity=2, unit_price=eur, vat_rate=Decimal("0.21"))
    events = [
        StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=4),
        OrderShipped(
            order_id="o-1",
            shipment_id="sh-1",
            customer_id="c",
            currency="EUR",
            lines=[line, line.model_copy(update={"line_no": 2, "quantity": 1})],
            carrier="dhl",
            shipped_at=T0,
        ),
        OrderCancelled(
            order_id="o-1",
            reason="r",
            cancelled_at=T0,
            released=[QuantityLine(line_no=1, sku="W-1", quantity=1)],
        ),
        OrderShipped(
            order_id="o-1",
            shipment_id="sh-r",
            customer_id="c",
            currency="EUR",
            lines=[line.model_copy(update={"unit_price": Money.zero("EUR")})],
            carrier="dhl",
            shipped_at=T0,
            replacement_for="rem-1",
        ),
    ]
    given = {"W-1": stock(10, 0)}
    movements = stock_movements_for(events, given)
    assert movements == {
        "W-1": [
            StockAllocated(sku="W-1", order_id="o-1", line_no=1, quantity=4),
            StockIssued(sku="W-1", order_id="o-1", shipment_id="sh-1", quantity=3, from_reserved=True),
            StockAllocated(sku="W-1", order_id="o-1", line_no=1, quantity=-1),
            StockIssued(sku="W-1", order_id="o-1", shipment_id="sh-r", quantity=2, from_reserved=False),
        ]
    }
    assert given["W-1"].version == 1, "the given stock is not changed"


def test_stock_movements_are_guarded() -> None:
    event = StockReserved(order_id="o-1", line_no=1, sku="W-1", quantity=3)
    with pytest.raises(Conflict):
        stock_movements_for([event], {"W-1": stock(2)})
    with pytest.raises(Conflict):
        stock_movements_for([event], {})


def waiting(order_id: str, minutes: int, quantity: int, line_no: int = 1) -> BackorderedLine:
    return BackorderedLine(order_id, line_no, quantity, T0 + dt.timedelta(minutes=minutes))


def test_fill_backorders_oldest_first_with_partial_fill() -> None:
    lines = [waiting("young", 30, 2), waiting("oldest", 0, 3), waiting("middle", 10, 4)]
    assert fill_backorders(5, lines) == [BackorderFill("oldest", 1, 3), BackorderFill("middle", 1, 2)]


def test_fill_backorders_does_not_skip_the_oldest_for_a_smaller_younger_line() -> None:
    lines = [waiting("old", 0, 10), waiting("young", 5, 1)]
    assert fill_backorders(4, lines) == [BackorderFill("old", 1, 4)]


def test_fill_backorders_everything_fits_and_ties_are_deterministic() -> None:
    lines = [waiting("b", 0, 1), waiting("a", 0, 1, line_no=2), waiting("a", 0, 2, line_no=1)]
    assert fill_backorders(100, lines) == [
        BackorderFill("a", 1, 2),
        BackorderFill("a", 2, 1),
        BackorderFill("b", 1, 1),
    ]


def test_fill_backorders_with_nothing_available() -> None:
    assert fill_backorders(0, [waiting("a", 0, 1)]) == []
    assert fill_backorders(-3, [waiting("a", 0, 1)]) == []
    assert fill_backorders(5, []) == []
