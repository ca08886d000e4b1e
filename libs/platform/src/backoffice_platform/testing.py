"""Running a whole service inside a test: fresh database, real Kafka topics, the HTTP app
on an in-process client, and its relay and consumers as tasks."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
from sqlalchemy.ext.asyncio import create_async_engine

from backoffice_events.kafka import KafkaConfig
from backoffice_events.testing import TestDatabases

from .app import ServiceContext, build_context
from .auth import KeyRing, Role, keys_per_role
from .clock import FixedClock
from .runtime import ServiceDefinition, Worker
from .settings import ServiceSettings

PARTNER_CUSTOMERS = ("cust-partner-1",)


def test_keys(partner_customers: Sequence[str] = PARTNER_CUSTOMERS) -> tuple[KeyRing, dict[Role, str]]:
    """One fresh API key per role (the partner limited to ``partner_customers``)."""
    entries, plain = keys_per_role("test", partner_customers)
    return KeyRing(entries), plain


@dataclass
class RunningService:
    definition: ServiceDefinition
    ctx: ServiceContext
    client: httpx.AsyncClient
    keys: dict[Role, str]
    worker: Worker
    clock: FixedClock
    extras: dict[str, object] = field(default_factory=dict)

    def as_role(self, role: Role) -> dict[str, str]:
        """Headers authenticating as ``role``."""
        return {"X-API-Key": self.keys[role]}


@asynccontextmanager
async def running_service(
    definition: ServiceDefinition,
    databases: TestDatabases,
    kafka: KafkaConfig,
    *,
    clock: FixedClock | None = None,
    start_worker: bool = True,
    run_jobs: bool = False,
    settings_overrides: dict[str, object] | None = None,
) -> AsyncIterator[RunningService]:
    """Start ``definition`` against a fresh database and the test's topics."""
    url = await databases.create(f"t_{definition.name}", definition.all_migrations()[1:])
    engine = create_async_engine(url, pool_size=20, max_overflow=30)
    settings: ServiceSettings = definition.settings_type.model_validate(
        {
            "service_name": definition.name,
            "database_url": url,
            "kafka_bootstrap_servers": kafka.bootstrap_servers,
            "topic_prefix": kafka.topic_prefix,
            **(settings_overrides or {}),
        }
    )
    keys, plain = test_keys()
    the_clock = clock or FixedClock(dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC))
    # The settings name the company's zone; a test's clock dates in it like the real one would.
    the_clock.zone = settings.company_zone()
    ctx = build_context(settings, engine=engine, clock=the_clock, keys=keys)
    app = definition.create_app(ctx)
    worker = Worker(definition, ctx, run_jobs=run_jobs)
    if start_worker:
        await worker.start()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=f"http://{definition.name}", headers={"X-API-Key": plain[Role.ADMIN]}
    ) as client:
        try:
            yield RunningService(definition, ctx, client, plain, worker, the_clock)
        finally:
            await worker.stop()
            await engine.dispose()
