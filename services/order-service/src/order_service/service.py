"""The order service as the platform runs it."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI

from backoffice_events.consumer import EventConsumer
from backoffice_events.migrate import package_migrations
from backoffice_platform.app import ServiceContext, create_service_app
from backoffice_platform.runtime import ServiceDefinition

from .adapters.reshipments import reshipment_consumer
from .entrypoints import catalogue, orders, stock
from .settings import OrderSettings


def create_app(ctx: ServiceContext) -> FastAPI:
    return create_service_app(
        ctx,
        title="Backoffice order service",
        description="Orders from customers, partners and sales reps; stock availability and reservation;"
        " shipments.",
        routers=[catalogue.router, stock.router, orders.router],
    )


def consumers(ctx: ServiceContext) -> Sequence[EventConsumer]:
    """Free replacement shipments requested by support."""
    return [reshipment_consumer(ctx)]


DEFINITION = ServiceDefinition(
    name="order",
    title="Order service",
    migrations=package_migrations("order_service", "order_service"),
    create_app=create_app,
    consumers=consumers,
    settings_type=OrderSettings,
)
