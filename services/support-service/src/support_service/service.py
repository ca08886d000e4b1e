"""The support service as the platform runs it."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import CreditNoteIssued
from backoffice_events.catalog.orders import OrderShipped
from backoffice_events.catalog.topics import BILLING, ORDERS, SUPPORT
from backoffice_events.consumer import EventConsumer, Handler
from backoffice_events.migrate import package_migrations
from backoffice_platform.app import ServiceContext, create_service_app
from backoffice_platform.runtime import PeriodicJob, ServiceDefinition

from .adapters.history import HISTORY_EVENTS, project_history
from .adapters.remedies import project_and_fulfil
from .entrypoints import customers, jobs, reports, tickets
from .service_layer.sla import run_sla_job
from .settings import SupportSettings, sla_policy


def create_app(ctx: ServiceContext) -> FastAPI:
    sla_policy(ctx)  # a wrong SLA configuration stops the start, not the first ticket
    return create_service_app(
        ctx,
        title="Backoffice support service",
        description="Tickets with SLAs, the customer's history from order and billing events, "
        "root causes, remedies (credits, reshipments, goodwill), satisfaction and reports.",
        routers=[tickets.router, customers.router, reports.router, jobs.router],
    )


def consumers(ctx: ServiceContext) -> Sequence[EventConsumer]:
    """One consumer: the customer history from order, billing and ticket events, and the
    remedy outcomes among them (credit notes, replacement shipments) in the same transaction."""
    handlers: dict[type[EventModel], Handler] = dict.fromkeys(HISTORY_EVENTS, project_history)
    handlers[CreditNoteIssued] = handlers[OrderShipped] = project_and_fulfil
    return [
        EventConsumer(
            name="support-history",
            engine=ctx.engine,
            kafka=ctx.kafka,
            topics=[ORDERS, BILLING, SUPPORT],
            handlers=handlers,
        )
    ]


DEFINITION = ServiceDefinition(
    name="support",
    title="Support service",
    migrations=package_migrations("support_service", "support_service"),
    create_app=create_app,
    consumers=consumers,
    jobs=(PeriodicJob("sla-breaches", run=run_sla_job, every=60.0),),
    settings_type=SupportSettings,
)
