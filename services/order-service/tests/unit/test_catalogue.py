"""Catalogue products: creation guards, price changes, deactivation, rebuild."""

from decimal import Decimal

import pytest

from backoffice_events.catalog.orders import ProductCreated, ProductDeactivated, ProductPriceChanged
from backoffice_events.money import Money
from backoffice_platform.errors import Conflict, InvalidInput
from order_service.domain import Product


def widget() -> Product:
    return Product.from_events(Product.create("W-1", "Widget", Money.of("12.50", "EUR"), Decimal("0.21")))


def test_create_returns_product_created_with_price_and_vat_rate() -> None:
    [event] = Product.create(" W-1 ", "Widget", Money.of("12.50", "EUR"), Decimal("0.21"))
    assert isinstance(event, ProductCreated)
    assert event.sku == "W-1"
    assert event.unit_price == Money.of("12.50", "EUR")
    assert event.vat_rate == Decimal("0.21")
    assert event.active is True


@pytest.mark.parametrize("amount", ["0", "-1.00"])
def test_create_refuses_price_that_is_not_positive(amount: str) -> None:
    with pytest.raises(InvalidInput) as err:
        Product.create("W-1", "Widget", Money.of(amount, "EUR"), Decimal("0.21"))
    assert (err.value.field, err.value.rule) == ("unit_price", "price-not-positive")


def test_create_refuses_more_decimals_than_the_currency_has() -> None:
    with pytest.raises(InvalidInput) as err:
        Product.create("W-1", "Widget", Money(Decimal("12.505"), "EUR"), Decimal("0.21"))
    assert (err.value.field, err.value.rule) == ("unit_price", "too-many-decimals")
    with pytest.raises(InvalidInput):
        Product.create("W-1", "Widget", Money(Decimal("100.5"), "JPY"), Decimal("0.1"))


@pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("1.01"), Decimal(21)])
def test_create_refuses_vat_rate_outside_zero_to_one(rate: Decimal) -> None:
    with pytest.raises(InvalidInput) as err:
        Product.create("W-1", "Widget", Money.of("1.00", "EUR"), rate)
    assert (err.value.field, err.value.rule) == ("vat_rate", "vat-rate-out-of-range")


@pytest.mark.parametrize("rate", [Decimal(0), Decimal(1)])
def test_vat_rate_bounds_are_allowed(rate: Decimal) -> None:
    [event] = Product.create("W-1", "Widget", Money.of("1.00", "EUR"), rate)
    assert event.vat_rate == rate


def test_create_refuses_float_vat_rate_and_blank_name() -> None:
    with pytest.raises(InvalidInput) as err:
        Product.create("W-1", "Widget", Money.of("1.00", "EUR"), 0.21)  # type: ignore[arg-type]
    assert err.value.rule == "not-a-decimal"
    with pytest.raises(InvalidInput) as err:
        Product.create("W-1", "  ", Money.of("1.00", "EUR"), Decimal("0.21"))
    assert (err.value.field, err.value.rule) == ("name", "required")


def test_change_price_and_rebuild() -> None:
    product = widget()
    [event] = product.change_price(Money.of("13.00", "EUR"))
    assert isinstance(event, ProductPriceChanged)
    assert product.unit_price == Money.of("12.50", "EUR"), "commands do not change the product"
    product.apply(event)
    assert product.unit_price == Money.of("13.00", "EUR")
    assert product.version == 2


def test_change_price_to_the_same_price_records_nothing() -> None:
    assert widget().change_price(Money.of("12.5", "EUR")) == []


def test_change_price_guards_price_and_currency() -> None:
    with pytest.raises(InvalidInput) as err:
        widget().change_price(Money.of("0", "EUR"))
    assert err.value.rule == "price-not-positive"
    with pytest.raises(InvalidInput) as err:
        widget().change_price(Money.of("13.00", "USD"))
    assert err.value.rule == "currency-mismatch"


def test_deactivated_product_cannot_change() -> None:
    product = widget()
    [event] = product.deactivate()
    assert isinstance(event, ProductDeactivated)
    product.apply(event)
    assert product.active is False
    with pytest.raises(Conflict) as conflict:
        product.change_price(Money.of("13.00", "EUR"))
    assert conflict.value.rule == "product-inactive"
    with pytest.raises(Conflict) as conflict:
        product.deactivate()
    assert conflict.value.rule == "product-inactive"


def test_rebuild_from_events() -> None:
    events = [
        *Product.create("W-1", "Widget", Money.of("12.50", "EUR"), Decimal("0.21")),
        ProductPriceChanged(sku="W-1", unit_price=Money.of("14.00", "EUR")),
        ProductDeactivated(sku="W-1"),
    ]
    product = Product.from_events(events)
    assert (product.unit_price, product.active, product.version) == (Money.of("14.00", "EUR"), False, 3)
    with pytest.raises(ValueError):
        Product.from_events([ProductDeactivated(sku="W-1")])
