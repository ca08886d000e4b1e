"""Settings of the support service: SLA targets per priority and the reopen window."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from backoffice_platform.app import ServiceContext
from backoffice_platform.settings import ServiceSettings

from .domain.sla import SlaPolicy
from .domain.tickets import DEFAULT_REOPEN_WINDOW


class SupportSettings(ServiceSettings):
    """``SLA_HOURS`` overrides targets per priority as JSON, e.g. ``{"urgent": [1, 8]}``
    (hours to first response, hours to resolution); priorities left out keep the defaults
    (urgent 1/8, high 4/24, normal 8/72, low 24/120)."""

    sla_hours: dict[str, tuple[float, float]] = Field(default_factory=dict)
    reopen_window_days: float = Field(default=DEFAULT_REOPEN_WINDOW.days, gt=0)

    def sla_policy(self) -> SlaPolicy:
        return SlaPolicy.from_hours(self.sla_hours)

    @property
    def reopen_window(self) -> dt.timedelta:
        return dt.timedelta(days=self.reopen_window_days)


def support_settings(ctx: ServiceContext) -> SupportSettings:
    """The context's settings as support settings (plain settings get the defaults)."""
    if isinstance(ctx.settings, SupportSettings):
        return ctx.settings
    cached = ctx.extras.get("support_settings")
    if not isinstance(cached, SupportSettings):
        cached = SupportSettings.model_validate(ctx.settings.model_dump())
        ctx.extras["support_settings"] = cached
    return cached


def sla_policy(ctx: ServiceContext) -> SlaPolicy:
    """The configured SLA policy, validated once per context."""
    policy = ctx.extras.get("sla_policy")
    if not isinstance(policy, SlaPolicy):
        policy = support_settings(ctx).sla_policy()
        ctx.extras["sla_policy"] = policy
    return policy
