"""Money: a Decimal amount in an ISO 4217 currency. Never a float.

A plain frozen dataclass so domain code can use it without any framework; pydantic
models (events, HTTP bodies) accept and emit it as ``{"amount": "12.50", "currency": "EUR"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# Minor units per ISO 4217 for the currencies we accept. Unknown codes are refused
# rather than guessed, because the number of decimals decides rounding.
MINOR_UNITS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "CHF": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "HUF": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "SGD": 2,
    "HKD": 2,
    "CNY": 2,
    "INR": 2,
    "BRL": 2,
    "MXN": 2,
    "ZAR": 2,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "KWD": 3,
    "BHD": 3,
    "JOD": 3,
    "OMR": 3,
    "TND": 3,
}

_AMOUNT_RE = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")


class MoneyError(ValueError):
    """An amount or currency that breaks a money rule; ``field`` names the part at fault."""

    def __init__(self, message: str, field: str = "amount") -> None:
        super().__init__(message)
        self.field = field


def check_currency(code: str) -> str:
    """Return the currency code if we know its minor units, else raise ``MoneyError``."""
    if code not in MINOR_UNITS:
        raise MoneyError(f"unknown ISO 4217 currency {code!r}", field="currency")
    return code


def parse_amount(value: object) -> Decimal:
    """Parse a decimal string (or int/Decimal); floats are refused because they are inexact."""
    if isinstance(value, (bool, float)):
        raise MoneyError('amount must be a decimal string such as "12.50", not a float')
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("amount must be finite")
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _AMOUNT_RE.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:  # pragma: no cover - the regex already guards this
            pass
    raise MoneyError(f'amount {value!r} is not a decimal string such as "12.50"')


def _fast_money(value: Any) -> Money | None:
    """The usual well-formed ``{"amount": "12.50", "currency": "EUR"}`` without the general
    checks of ``Money.of`` (consumers decode many of them); None sends anything else, or an
    amount with more decimals than the currency's minor units, down the general path."""
    if type(value) is not dict or len(value) != 2:
        return None
    amount, currency = value.get("amount"), value.get("currency")
    if type(amount) is not str or type(currency) is not str:
        return None
    units = MINOR_UNITS.get(currency)
    match = _AMOUNT_RE.match(amount)
    if units is None or match is None:
        return None
    fraction = match.group(1)
    if fraction is not None and len(fraction) - 1 > units:
        return None
    money = object.__new__(Money)  # both parts checked above: skip __post_init__
    object.__setattr__(money, "amount", Decimal(amount))
    object.__setattr__(money, "currency", currency)
    return money


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not isinstance(self.amount, Decimal):
            object.__setattr__(self, "amount", parse_amount(self.amount))

    # construction -------------------------------------------------------
    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        """Build from user input, refusing more decimals than the currency has."""
        money = cls(parse_amount(amount), check_currency(currency))
        money.check_scale()
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    # rules ----------------------------------------------------------------
    @property
    def minor_units(self) -> int:
        return MINOR_UNITS[self.currency]

    def check_scale(self) -> None:
        """Raise if the amount has more decimals than the currency's minor units."""
        exponent = self.amount.normalize().as_tuple().exponent
        decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
        if decimals > self.minor_units:
            raise MoneyError(
                f"amount {self.amount} has {decimals} decimals; {self.currency} allows {self.minor_units}"
            )

    def rounded(self) -> Money:
        """Round half up to the currency's minor units (commercial rounding)."""
        quantum = Decimal(1).scaleb(-self.minor_units)
        return Money(self.amount.quantize(quantum, rounding=ROUND_HALF_UP), self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} and {other.currency}", field="currency")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    @property
    def is_zero(self) -> bool:
        return self.amount == 0

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def min(self, other: Money) -> Money:
        return self if self <= other else other

    def to_json(self) -> dict[str, str]:
        return {"amount": format_amount(self.amount, self.currency), "currency": self.currency}

    def __str__(self) -> str:
        return f"{format_amount(self.amount, self.currency)} {self.currency}"

    # pydantic integration without importing pydantic at module level -----------
    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def validate(value: Any) -> Money:
            if isinstance(value, Money):
                return value
            fast = _fast_money(value)
            if fast is not None:
                return fast
            if not isinstance(value, dict) or set(value) - {"amount", "currency"}:
                raise ValueError('money must be an object {"amount": "12.50", "currency": "EUR"}')
            if "amount" not in value or "currency" not in value:
                raise ValueError("money needs both amount and currency")
            try:
                return cls.of(value["amount"], str(value["currency"]))
            except MoneyError as exc:
                raise ValueError(str(exc)) from exc

        return core_schema.no_info_plain_validator_function(
            validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda m: m.to_json(), when_used="json-unless-none"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema: Any, handler: Any) -> dict[str, Any]:
        return MONEY_JSON_SCHEMA


def format_amount(amount: Decimal, currency: str) -> str:
    """Render with exactly the currency's minor units when that is lossless."""
    places = MINOR_UNITS.get(currency, 2)
    quantum = Decimal(1).scaleb(-places)
    if amount == amount.quantize(quantum):
        return str(amount.quantize(quantum))
    return str(amount.normalize())


MONEY_JSON_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Money",
    "required": ["amount", "currency"],
    "additionalProperties": False,
    "properties": {
        "amount": {
            "type": "string",
            "pattern": r"^-?\d{1,15}(\.\d{1,6})?$",
            "description": "decimal string, never a float",
        },
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO 4217 code"},
    },
}
