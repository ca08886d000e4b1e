"""Pytest fixtures for tests against the real Kafka and PostgreSQL of the local stack.

The session starts the project's local stack (deploy/local/stack.sh) unless
``KAFKA_BOOTSTRAP_SERVERS`` and ``DATABASE_URL`` point at existing servers, or
``TEST_STACK=testcontainers`` asks for throwaway containers (needs Docker and the
``testcontainers`` package). Each test gets its own databases and its own topic prefix,
so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .envelope import Envelope
from .kafka import KafkaConfig, delete_topics, ensure_topics, event_topic_specs, reliable_producer
from .migrate import EVENT_STORE_MIGRATIONS, MigrationSet, apply_migrations

ROOT = Path(__file__).resolve().parents[4]


@dataclass(frozen=True)
class TestStack:
    """Addresses of the servers the tests use."""

    pg_server: str  # postgresql://user@host:port (no database)
    kafka_bootstrap: str

    def database_url(self, name: str) -> str:
        return f"{self.pg_server}/{name}"

    def sqlalchemy_url(self, name: str) -> str:
        return self.database_url(name).replace("postgresql://", "postgresql+asyncpg://", 1)


def _strip_db(url: str) -> str:
    """``postgresql://user@host:port`` of a server URL in any of the usual spellings."""
    return "postgresql://" + urlsplit(url).netloc


@pytest.fixture(scope="session")
def test_stack() -> Iterator[TestStack]:
    mode = os.environ.get("TEST_STACK", "local")
    if mode == "testcontainers":
        from testcontainers.kafka import KafkaContainer  # type: ignore[import-not-found]
        from testcontainers.postgres import PostgresContainer  # type: ignore[import-not-found]

        with PostgresContainer("postgres:16", driver=None) as pg, KafkaContainer().with_kraft() as kafka:
            yield TestStack(_strip_db(pg.get_connection_url()), kafka.get_bootstrap_server())
        return
    kafka = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    database = os.environ.get("DATABASE_URL")
    if not (kafka and database):
        subprocess.run(["bash", str(ROOT / "deploy/local/stack.sh"), "up", "--no-topics"], check=True)
    port = os.environ.get("PG_PORT", "15432")
    yield TestStack(
        _strip_db(database) if database else f"postgresql://backoffice@127.0.0.1:{port}",
        kafka or f"127.0.0.1:{os.environ.get('KAFKA_PORT', '19092')}",
    )


@dataclass
class TestDatabases:
    stack: TestStack
    created: list[str]

    async def create(self, prefix: str = "t", migrations: list[MigrationSet] | None = None) -> str:
        """A fresh database with the event store (and given) migrations; returns its SQLAlchemy URL."""
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(self.stack.database_url("postgres"))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        self.created.append(name)
        url = self.stack.sqlalchemy_url(name)
        engine = create_async_engine(url)
        try:
            await apply_migrations(engine, [EVENT_STORE_MIGRATIONS, *(migrations or [])])
        finally:
            await engine.dispose()
        return url

    async def drop_all(self) -> None:
        if not self.created:
            return
        admin = await asyncpg.connect(self.stack.database_url("postgres"))
        try:
            for name in self.created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
        self.created.clear()


@pytest_asyncio.fixture
async def databases(test_stack: TestStack) -> AsyncIterator[TestDatabases]:
    """Factory of fresh, migrated databases, dropped after the test."""
    dbs = TestDatabases(test_stack, [])
    yield dbs
    await dbs.drop_all()


@pytest_asyncio.fixture
async def engine(databases: TestDatabases) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh database with the event store tables."""
    url = await databases.create()
    eng = create_async_engine(url, pool_size=20, max_overflow=20)
    yield eng
    await eng.dispose()


@pytest_asyncio.fixture
async def kafka_config(test_stack: TestStack) -> AsyncIterator[KafkaConfig]:
    """A KafkaConfig with a unique topic prefix and the event topics (3 partitions) created."""
    config = KafkaConfig(test_stack.kafka_bootstrap, f"t{uuid.uuid4().hex[:10]}.", "backoffice-test")
    created = await ensure_topics(config, event_topic_specs(partitions=3))
    yield config
    await delete_topics(config, created)


class CloudEventProducer:
    """Produces CloudEvents onto a test's topics as a service's outbox relay would (value, key
    and headers of each envelope), one acknowledged send at a time, so in order.
    ``async with`` starts and stops it."""

    def __init__(self, kafka: KafkaConfig) -> None:
        self.kafka = kafka
        self._producer = reliable_producer(kafka)

    async def __aenter__(self) -> CloudEventProducer:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._producer.stop()

    async def send(self, topic: str, envelope: Envelope) -> None:
        """Produce ``envelope`` to the test's ``topic`` (its logical name, e.g. ``backoffice.billing``)."""
        await self._producer.send_and_wait(
            self.kafka.topic(topic),
            envelope.kafka_value(),
            key=envelope.kafka_key(),
            headers=envelope.kafka_headers(),
        )


async def publish_events(kafka: KafkaConfig, topic: str, envelopes: Iterable[Envelope]) -> None:
    """Produce ``envelopes`` in order to the test's ``topic``, with a producer of their own."""
    async with CloudEventProducer(kafka) as producer:
        for envelope in envelopes:
            await producer.send(topic, envelope)


async def eventually(
    check: Callable[[], Awaitable[Any]], timeout: float = 30.0, interval: float = 0.05
) -> Any:
    """Await ``check`` until it returns a truthy value (or stops raising AssertionError)."""
    deadline = asyncio.get_running_loop().time() + timeout
    last: BaseException | None = None
    while True:
        try:
            result = await check()
            if result:
                return result
        except AssertionError as exc:
            last = exc
        if asyncio.get_running_loop().time() > deadline:
            if last:
                raise last
            raise AssertionError("condition not met within timeout")
        await asyncio.sleep(interval)
