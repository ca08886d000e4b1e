"""Settings of the order service on top of the platform's."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from backoffice_platform.settings import ServiceSettings

DEFAULT_DISCOUNT_LIMIT = Decimal(10)


class OrderSettings(ServiceSettings):
    """``SALES_DISCOUNT_LIMIT_PERCENT``: the largest line discount a sales rep may grant."""

    sales_discount_limit_percent: Decimal = Field(default=DEFAULT_DISCOUNT_LIMIT, ge=0, le=100)


def discount_limit(settings: ServiceSettings) -> Decimal:
    """The sales reps' discount limit in percent (the default when run with plain settings)."""
    if isinstance(settings, OrderSettings):
        return settings.sales_discount_limit_percent
    return DEFAULT_DISCOUNT_LIMIT
