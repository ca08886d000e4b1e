"""The ledger service as the platform runs it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from fastapi import FastAPI

from backoffice_events.consumer import EventConsumer
from backoffice_events.migrate import package_migrations
from backoffice_platform.app import ServiceContext, create_service_app
from backoffice_platform.runtime import PeriodicJob, ServiceDefinition

from .adapters.projection import live_consumer
from .entrypoints import books, chart, operations, periods, vat
from .service_layer.chart import publish_default_chart
from .service_layer.checks import check_books


def create_app(ctx: ServiceContext) -> FastAPI:
    return create_service_app(
        ctx,
        title="Backoffice ledger service",
        description="Double-entry books projected from billing and payables events: chart of accounts,"
        " journal, customer and supplier subledgers, balances, aging, trial balance and statements at any"
        " date, VAT per rate, fiscal periods and manual entries, invariant checks and rebuilds from the"
        " topics.",
        routers=[books.router, operations.router, chart.router, periods.router, vat.router],
    )


def consumers(ctx: ServiceContext) -> Sequence[EventConsumer]:
    return [live_consumer(ctx)]


async def books_check_job(ctx: ServiceContext, as_of: dt.date) -> list[str]:
    """The invariant check on a schedule, so ``backoffice_ledger_invariants_ok`` is always
    current (alerted on when 0), not only when someone asks ``GET /checks/invariants``."""
    return await check_books(ctx.engine, as_of)


DEFINITION = ServiceDefinition(
    name="ledger",
    title="Ledger service",
    migrations=package_migrations("ledger_service", "ledger_service"),
    create_app=create_app,
    consumers=consumers,
    on_start=publish_default_chart,
    jobs=(PeriodicJob("books-check", books_check_job, every=300.0),),
)
