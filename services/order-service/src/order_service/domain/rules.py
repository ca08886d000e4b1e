"""Input guards shared by the order-service aggregates.

Each guard raises ``InvalidInput`` naming the field and a stable rule code, so the HTTP
layer can turn it into a problem response without knowing which aggregate refused.
"""

from __future__ import annotations

from decimal import Decimal

from backoffice_platform.errors import InvalidInput


def require_text(value: str | None, field: str) -> str:
    """Return ``value`` stripped, or raise ``InvalidInput`` (rule ``required``) when it is blank."""
    if value is None or not value.strip():
        raise InvalidInput(f"{field} is required", field=field, rule="required")
    return value.strip()


def require_quantity(value: object, field: str) -> int:
    """Return ``value`` if it is a positive whole number of units.

    Units are counted, never measured: a float or decimal quantity is refused rather than
    rounded (rule ``quantity-not-integer``); zero or less is ``quantity-not-positive``.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(
            f"{field} must be a whole number of units, got {value!r}",
            field=field,
            rule="quantity-not-integer",
        )
    if value <= 0:
        raise InvalidInput(
            f"{field} must be positive, got {value}", field=field, rule="quantity-not-positive"
        )
    return value


def require_decimal(value: object, field: str) -> Decimal:
    """Return ``value`` as a finite ``Decimal``; floats are refused because they are inexact."""
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise InvalidInput(
            f"{field} must be a decimal number such as 0.21, got {value!r}",
            field=field,
            rule="not-a-decimal",
        )
    number = Decimal(value)
    if not number.is_finite():
        raise InvalidInput(f"{field} must be finite", field=field, rule="not-a-decimal")
    return number
