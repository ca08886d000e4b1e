"""Billing's settings: the platform's, plus the dunning ladder."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from backoffice_platform.errors import DomainError
from backoffice_platform.settings import ServiceSettings

from .domain.collections import DEFAULT_DUNNING_LEVELS, DunningLevel, DunningPolicy


class DunningLevelSetting(BaseModel):
    """One step of the dunning ladder as configured (``DUNNING_LEVELS`` is a JSON list of these)."""

    level: int = Field(ge=1)
    name: str = Field(min_length=1)
    days_overdue: int = Field(ge=1)


class BillingSettings(ServiceSettings):
    """``DUNNING_LEVELS='[{"level": 1, "name": "reminder", "days_overdue": 7}, ...]'``."""

    dunning_levels: list[DunningLevelSetting] = Field(
        default_factory=lambda: [
            DunningLevelSetting(level=level.level, name=level.name, days_overdue=level.days_overdue)
            for level in DEFAULT_DUNNING_LEVELS
        ]
    )

    @model_validator(mode="after")
    def _ladder_is_valid(self) -> BillingSettings:
        # A misconfigured ladder stops the service at start, not at the first dunning run.
        try:
            self.dunning_policy()
        except DomainError as exc:
            raise ValueError(f"{exc.field}: {exc.detail}") from None
        return self

    def dunning_policy(self) -> DunningPolicy:
        """The configured ladder, checked by the domain (numbered 1..n, days increasing)."""
        return DunningPolicy(
            tuple(DunningLevel(level.level, level.name, level.days_overdue) for level in self.dunning_levels)
        )


def dunning_policy_of(settings: ServiceSettings) -> DunningPolicy:
    """The dunning policy of a service's settings (the default ladder for plain settings)."""
    return settings.dunning_policy() if isinstance(settings, BillingSettings) else DunningPolicy()
