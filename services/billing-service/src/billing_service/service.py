"""The billing service as the platform runs it."""

from __future__ import annotations

from fastapi import FastAPI

from backoffice_events.migrate import package_migrations
from backoffice_platform.app import ServiceContext, create_service_app
from backoffice_platform.runtime import PeriodicJob, ServiceDefinition

from .adapters.consumers import consumers
from .entrypoints import payables, receivables, unapplied
from .service_layer.collections import dunning_job
from .settings import BillingSettings


def create_app(ctx: ServiceContext) -> FastAPI:
    return create_service_app(
        ctx,
        title="Backoffice billing service",
        description="Receivables (billing accounts, invoices per shipment, payments and allocation, credit "
        "notes, write-offs, refunds, dunning, statements) and payables (suppliers, bills, approval, "
        "payment runs).",
        routers=[receivables.router, unapplied.router, payables.router],
    )


DEFINITION = ServiceDefinition(
    name="billing",
    title="Billing service",
    migrations=package_migrations("billing_service", "billing_service"),
    create_app=create_app,
    consumers=consumers,
    jobs=(PeriodicJob("dunning", dunning_job, every=3600.0),),
    settings_type=BillingSettings,
)
