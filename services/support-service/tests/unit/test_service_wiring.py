"""Settings, the as_of rule of the SLA job, event times, and the service's wiring (no I/O)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from backoffice_events.catalog.billing import RefundIssued
from backoffice_events.catalog.support import RootCauseRecorded, TicketResolved
from backoffice_events.money import Money
from backoffice_platform.app import build_context
from backoffice_platform.auth import KeyRing
from backoffice_platform.clock import FixedClock
from backoffice_platform.errors import InvalidInput
from support_service.adapters.history import occurred_at
from support_service.service import DEFINITION
from support_service.service_layer.sla import as_of_moment
from support_service.settings import SupportSettings, sla_policy

NOW = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


def ctx_at(now: dt.datetime = NOW) -> SimpleNamespace:
    return SimpleNamespace(clock=FixedClock(now))


def test_sla_targets_come_from_settings_and_default_for_the_rest() -> None:
    policy = SupportSettings(sla_hours={"urgent": (2, 10)}).sla_policy()
    assert policy.deadlines("urgent", NOW) == (NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=10))
    assert policy.deadlines("normal", NOW) == (NOW + dt.timedelta(hours=8), NOW + dt.timedelta(hours=72))
    assert SupportSettings(reopen_window_days=2).reopen_window == dt.timedelta(days=2)


@pytest.mark.parametrize(
    ("hours", "rule"),
    [
        ({"urgent": (10, 2)}, "first-response-after-resolution"),
        ({"asap": (1, 2)}, "unknown-priority"),
        ({"low": (0, 2)}, "sla-target-not-positive"),
    ],
)
def test_a_wrong_sla_configuration_stops_the_start(hours, rule) -> None:
    settings = SupportSettings(service_name="support", sla_hours=hours)
    ctx = build_context(settings, clock=FixedClock(NOW), keys=KeyRing([]))
    with pytest.raises(InvalidInput) as refused:
        DEFINITION.create_app(ctx)
    assert refused.value.rule == rule


def test_the_app_builds_and_documents_its_routes() -> None:
    ctx = build_context(SupportSettings(service_name="support"), clock=FixedClock(NOW), keys=KeyRing([]))
    assert sla_policy(ctx).deadlines("low", NOW)[1] == NOW + dt.timedelta(hours=120)
    paths = DEFINITION.create_app(ctx).openapi()["paths"]
    for path in (
        "/tickets",
        "/tickets/{ticket_id}",
        "/tickets/{ticket_id}/remedies",
        "/tickets/{ticket_id}/satisfaction",
        "/customers/{customer_id}/timeline",
        "/reports/support",
        "/jobs/sla-breaches",
    ):
        assert path in paths
    assert DEFINITION.name == "support" and [job.name for job in DEFINITION.jobs] == ["sla-breaches"]
    assert [m.name for m in DEFINITION.migrations.files()] == [
        "0001_support.sql",
        "0002_open_by_movements.sql",
    ]


def test_as_of_moment() -> None:
    ctx = ctx_at()
    assert as_of_moment(ctx, None) == NOW
    assert as_of_moment(ctx, dt.date(2026, 1, 14)) == dt.datetime(2026, 1, 15, tzinfo=dt.UTC)
    assert as_of_moment(ctx, dt.date(2026, 1, 15)) == NOW  # today: up to now, not the end of the day
    earlier = dt.datetime(2026, 1, 15, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-1)))
    assert as_of_moment(ctx, earlier) == earlier
    for future in (dt.date(2026, 1, 16), NOW + dt.timedelta(seconds=1)):
        with pytest.raises(InvalidInput) as refused:
            as_of_moment(ctx, future)
        assert (refused.value.field, refused.value.rule) == ("as_of", "as-of-in-future")
    with pytest.raises(InvalidInput) as naive:
        as_of_moment(ctx, dt.datetime(2026, 1, 14, 8, 0))
    assert naive.value.rule == "timezone-required"


def test_events_happen_at_their_business_time_if_they_have_one() -> None:
    published = NOW + dt.timedelta(minutes=5)
    resolved = TicketResolved(ticket_id="t", customer_id="c", resolved_at=NOW)
    assert occurred_at(resolved, published) == NOW
    cause = RootCauseRecorded(ticket_id="t", customer_id="c", root_cause="other")
    assert occurred_at(cause, published) == published
    refund = RefundIssued(refund_id="r", customer_id="c", amount=Money.of("1", "EUR"), refunded_on=NOW.date())
    assert occurred_at(refund, published) == published
