"""The product catalogue: what can be sold, at what price and VAT rate.

Commands never change the product they are called on; they return the events to append.
The caller appends them and rebuilds (or ``apply``-s) to see the new state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.orders import ProductCreated, ProductDeactivated, ProductPriceChanged
from backoffice_events.money import Money, MoneyError
from backoffice_platform.errors import Conflict, InvalidInput

from .rules import require_decimal, require_text

ProductEvent = ProductCreated | ProductPriceChanged | ProductDeactivated


def _check_price(unit_price: Money, field: str = "unit_price") -> None:
    try:
        unit_price.check_scale()
    except MoneyError as exc:
        raise InvalidInput(str(exc), field=field, rule="too-many-decimals") from None
    if not unit_price.is_positive:
        raise InvalidInput(
            f"{field} must be positive, got {unit_price}", field=field, rule="price-not-positive"
        )


def _check_vat_rate(vat_rate: object) -> Decimal:
    rate = require_decimal(vat_rate, "vat_rate")
    if not Decimal(0) <= rate <= Decimal(1):
        raise InvalidInput(
            f"vat_rate is a fraction between 0 and 1 (0.21 for 21 %), got {rate}",
            field="vat_rate",
            rule="vat-rate-out-of-range",
        )
    return rate


@dataclass
class Product:
    """A sellable article, identified by its SKU. Orders are priced from it."""

    sku: str
    name: str
    unit_price: Money
    vat_rate: Decimal
    active: bool = True
    version: int = 0

    # commands ---------------------------------------------------------------
    @staticmethod
    def create(sku: str, name: str, unit_price: Money, vat_rate: Decimal) -> list[ProductCreated]:
        """Add a product to the catalogue.

        Refuses a blank SKU or name, a price that is not positive or has more decimals than
        its currency, and a VAT rate outside 0..1.
        """
        sku = require_text(sku, "sku")
        name = require_text(name, "name")
        _check_price(unit_price)
        rate = _check_vat_rate(vat_rate)
        return [ProductCreated(sku=sku, name=name, unit_price=unit_price, vat_rate=rate, active=True)]

    def change_price(self, unit_price: Money) -> list[ProductPriceChanged]:
        """Set a new list price (same currency). Returns no events when the price is unchanged."""
        self._require_active()
        _check_price(unit_price)
        if unit_price.currency != self.unit_price.currency:
            # Orders and open backorders are in the product's currency; switching it would
            # silently strand them, so a new currency means a new product.
            raise InvalidInput(
                f"price currency {unit_price.currency} differs from the product's {self.unit_price.currency}",
                field="unit_price.currency",
                rule="currency-mismatch",
            )
        if unit_price.amount == self.unit_price.amount:
            return []
        return [ProductPriceChanged(sku=self.sku, unit_price=unit_price)]

    def deactivate(self) -> list[ProductDeactivated]:
        """Stop selling the product. Existing orders keep their lines."""
        self._require_active()
        return [ProductDeactivated(sku=self.sku)]

    def _require_active(self) -> None:
        if not self.active:
            raise Conflict(f"product {self.sku} is deactivated", field="sku", rule="product-inactive")

    # state ------------------------------------------------------------------
    @classmethod
    def from_events(cls, events: Iterable[EventModel]) -> Product:
        """Rebuild a product from its stream; the first event must be ``ProductCreated``."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, ProductCreated):
            raise ValueError(f"a product stream starts with ProductCreated, not {type(first).__name__}")
        product = cls(
            sku=first.sku,
            name=first.name,
            unit_price=first.unit_price,
            vat_rate=first.vat_rate,
            active=first.active,
            version=1,
        )
        for event in stream:
            product.apply(event)
        return product

    def apply(self, event: EventModel) -> None:
        """Fold one of this product's events into its state."""
        if isinstance(event, ProductPriceChanged):
            self.unit_price = event.unit_price
        elif isinstance(event, ProductDeactivated):
            self.active = False
        elif isinstance(event, ProductCreated):
            self.name, self.unit_price, self.vat_rate, self.active = (
                event.name,
                event.unit_price,
                event.vat_rate,
                event.active,
            )
        else:
            raise ValueError(f"{type(event).__name__} is not a product event")
        self.version += 1
