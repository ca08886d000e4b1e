"""Line amounts, their rounding, and the VAT breakdown per rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ..catalog.billing import CreditNoteLine, InvoiceLine, VatRateAmount
from ..money import Money

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """The rounded amounts of one invoice line."""

    net: Money
    vat: Money
    gross: Money


def line_net(quantity: int, unit_price: Money, discount_percent: Decimal = _ZERO) -> Money:
    """A line's net: ``round(quantity * unit_price * (1 - discount_percent / 100))``, half up."""
    return (unit_price * quantity * (_ONE - discount_percent / _HUNDRED)).rounded()


def line_amounts(
    quantity: int, unit_price: Money, discount_percent: Decimal, vat_rate: Decimal
) -> LineAmounts:
    """Price one line: ``net = line_net(...)``, ``vat = round(net * vat_rate)``,
    ``gross = net + vat`` (half up, per line)."""
    net = line_net(quantity, unit_price, discount_percent)
    vat = (net * vat_rate).rounded()
    return LineAmounts(net=net, vat=vat, gross=net + vat)


def vat_breakdown(lines: Iterable[InvoiceLine | CreditNoteLine], currency: str) -> list[VatRateAmount]:
    """Per VAT rate (ascending): the lines' taxable net and VAT, summed from the rounded lines."""
    totals: dict[Decimal, tuple[Money, Money]] = {}
    for line in lines:
        # Decimal("0.25") and Decimal("0.250") are one rate: key on the normalised value.
        rate = line.vat_rate.normalize()
        taxable, vat = totals.get(rate, (Money.zero(currency), Money.zero(currency)))
        totals[rate] = (taxable + line.net, vat + line.vat)
    return [
        VatRateAmount(vat_rate=rate, taxable=taxable, vat=vat)
        for rate, (taxable, vat) in sorted(totals.items())
    ]
