"""Rules every amount entering billing must meet, and the one rounding rule we use."""

from __future__ import annotations

from backoffice_events.money import Money, MoneyError
from backoffice_platform.errors import InvalidInput


def round_half_up(amount: Money) -> Money:
    """Round to the currency's minor units, halves away from zero (commercial rounding)."""
    return amount.rounded()


def check_amount(amount: Money, currency: str, *, field: str = "amount") -> Money:
    """Return ``amount`` if it is positive, in ``currency`` and within the currency's decimals.

    Rules: ``currency-mismatch``, ``too-many-decimals``, ``amount-not-positive``.
    """
    if amount.currency != currency:
        raise InvalidInput(
            f"{field} is in {amount.currency}, expected {currency}",
            field=f"{field}.currency",
            rule="currency-mismatch",
        )
    try:
        amount.check_scale()
    except MoneyError as exc:
        raise InvalidInput(str(exc), field=f"{field}.amount", rule="too-many-decimals") from None
    if amount.amount <= 0:
        raise InvalidInput(f"{field} must be positive", field=f"{field}.amount", rule="amount-not-positive")
    return amount


def require_text(value: str | None, *, field: str, rule: str) -> str:
    """Return ``value`` stripped, refusing blank text with ``rule``."""
    if value is None or not value.strip():
        raise InvalidInput(f"{field} is required", field=field, rule=rule)
    return value.strip()
