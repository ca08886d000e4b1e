"""Retention jobs on the real PostgreSQL: only rows past their age go, in batches, counted."""

from __future__ import annotations

import datetime as dt
import uuid

import asyncpg
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import create_async_engine

from backoffice_events.testing import eventually
from backoffice_platform.app import build_context
from backoffice_platform.auth import KeyRing
from backoffice_platform.retention import run_retention
from backoffice_platform.runtime import PLATFORM_MIGRATIONS, ServiceDefinition, Worker, platform_jobs
from backoffice_platform.settings import ServiceSettings

pytestmark = pytest.mark.integration

OLD, RECENT = dt.timedelta(days=40), dt.timedelta(hours=1)  # ages of the rows


async def _fill(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for n, (age, published, parked) in enumerate(
            [
                (OLD, True, False),  # goes
                (OLD, True, False),  # goes
                (OLD, True, False),  # goes
                (OLD, False, False),  # never published: stays
                (OLD, False, True),  # parked: stays
                (RECENT, True, False),  # published recently: stays
            ]
        ):
            await conn.execute(
                "INSERT INTO outbox (event_position, published_at, parked_at, park_reason) VALUES ($1,"
                " CASE WHEN $2 THEN now() - $4::interval END, CASE WHEN $3 THEN now() - $4::interval END,"
                " CASE WHEN $3 THEN 'big' END)",
                n,
                published,
                parked,
                age,
            )
        for age in (OLD, OLD, RECENT):
            await conn.execute(
                "INSERT INTO processed_events (consumer, event_id, processed_at)"
                " VALUES ('c', $1, now() - $2::interval)",
                str(uuid.uuid4()),
                age,
            )
            await conn.execute(
                "INSERT INTO idempotency_keys (scope, key, request_hash, status, created_at)"
                " VALUES ('s', $1, 'h', 201, now() - $2::interval)",
                str(uuid.uuid4()),
                age,
            )
    finally:
        await conn.close()


def _deleted(table: str) -> float:
    return (
        REGISTRY.get_sample_value(
            "backoffice_retention_deleted_total", {"service": "retention-test", "table": table}
        )
        or 0.0
    )


async def test_retention_deletes_only_rows_past_their_age(databases) -> None:
    url = await databases.create("t_retention", [PLATFORM_MIGRATIONS])
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    await _fill(dsn)
    engine = create_async_engine(url)
    settings = ServiceSettings(
        service_name="retention-test",
        database_url=url,
        outbox_retention_hours=24 * 7,
        processed_events_retention_hours=24 * 30,
        idempotency_key_lifetime_hours=72,
        retention_batch_size=2,  # several batches for the outbox's three old rows
    )
    ctx = build_context(settings, engine=engine, keys=KeyRing([]))
    before = {t: _deleted(t) for t in ("outbox", "processed_events", "idempotency_keys")}
    try:
        assert await run_retention(ctx) == {"outbox": 3, "processed_events": 2, "idempotency_keys": 2}
        assert await run_retention(ctx) == {"outbox": 0, "processed_events": 0, "idempotency_keys": 0}
    finally:
        await engine.dispose()
    assert {t: _deleted(t) - before[t] for t in before} == {
        "outbox": 3,
        "processed_events": 2,
        "idempotency_keys": 2,
    }
    conn = await asyncpg.connect(dsn)
    try:
        left = await conn.fetch(
            "SELECT published_at IS NOT NULL AS published, parked_at IS NOT NULL AS parked FROM outbox"
        )
        assert sorted((r["published"], r["parked"]) for r in left) == [
            (False, False),
            (False, True),
            (True, False),
        ]
        assert await conn.fetchval("SELECT count(*) FROM processed_events") == 1
        assert await conn.fetchval("SELECT count(*) FROM idempotency_keys") == 1
    finally:
        await conn.close()


async def test_every_worker_runs_the_retention_job(databases, kafka_config) -> None:
    url = await databases.create("t_retention_worker", [PLATFORM_MIGRATIONS])
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    await _fill(dsn)
    engine = create_async_engine(url)
    settings = ServiceSettings(
        service_name="retention-worker",
        database_url=url,
        kafka_bootstrap_servers=kafka_config.bootstrap_servers,
        topic_prefix=kafka_config.topic_prefix,
    )
    ctx = build_context(settings, engine=engine, keys=KeyRing([]))
    assert [job.name for job in platform_jobs(ctx)] == ["retention"]
    # A service with no jobs of its own: the platform's retention job runs all the same.
    definition = ServiceDefinition("retention-worker", "X", PLATFORM_MIGRATIONS, create_app=lambda c: None)  # type: ignore[arg-type,return-value]
    worker = Worker(definition, ctx, run_jobs=True)
    await worker.start()

    async def cleaned() -> bool:
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval("SELECT count(*) FROM outbox") == 3
        finally:
            await conn.close()

    try:
        await eventually(cleaned)
    finally:
        await worker.stop()
        await engine.dispose()
