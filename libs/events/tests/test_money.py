from decimal import Decimal

import pytest
from pydantic import BaseModel

from backoffice_events.money import Money, MoneyError


def test_refuses_floats_and_too_many_decimals() -> None:
    with pytest.raises(MoneyError, match="float"):
        Money.of(12.5, "EUR")
    with pytest.raises(MoneyError, match="3 decimals; EUR allows 2"):
        Money.of("1.005", "EUR")
    with pytest.raises(MoneyError, match="JPY allows 0"):
        Money.of("10.5", "JPY")
    assert Money.of("1.005", "KWD").amount == Decimal("1.005")


def test_unknown_currency_names_the_field() -> None:
    with pytest.raises(MoneyError) as err:
        Money.of("1", "XXX")
    assert err.value.field == "currency"


def test_arithmetic_refuses_currency_mismatch() -> None:
    assert Money.of("1.10", "EUR") + Money.of("2.20", "EUR") == Money.of("3.30", "EUR")
    with pytest.raises(MoneyError, match="currency mismatch"):
        _ = Money.of("1", "EUR") + Money.of("1", "USD")


def test_half_up_rounding() -> None:
    assert Money(Decimal("0.125"), "EUR").rounded().amount == Decimal("0.13")
    assert Money(Decimal("-0.125"), "EUR").rounded().amount == Decimal("-0.13")
    assert Money(Decimal("0.124"), "EUR").rounded().amount == Decimal("0.12")


def test_pydantic_round_trip_is_a_decimal_string() -> None:
    class Body(BaseModel):
        total: Money

    body = Body.model_validate({"total": {"amount": "10.5", "currency": "EUR"}})
    assert body.model_dump(mode="json") == {"total": {"amount": "10.50", "currency": "EUR"}}
    with pytest.raises(ValueError, match="float"):
        Body.model_validate({"total": {"amount": 10.5, "currency": "EUR"}})
