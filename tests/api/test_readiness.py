"""An API's ``/readyz`` follows its database: not ready (503) while PostgreSQL is unreachable,
ready again by itself once it is back, without restarting the app. Kafka being down does not
take an API out of service: its writes go to the outbox and are published once Kafka is back.

The shared servers stay up (other tests use them): the service under test reaches PostgreSQL and
Kafka through TCP proxies of its own, and cutting a proxy (its listener and every open
connection) is the outage. Kafka's advertised listener sends clients straight to the broker after
bootstrap, which is enough here: the readiness check bootstraps a fresh admin client each time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from backoffice_events.testing import eventually
from backoffice_platform import testing as platform_testing
from backoffice_platform.app import build_context
from backoffice_platform.auth import Role
from backoffice_platform.db import make_engine

pytestmark = pytest.mark.integration

WIDGET = {
    "sku": "W-1",
    "name": "Widget",
    "unit_price": {"amount": "12.50", "currency": "EUR"},
    "vat_rate": "0.21",
}


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to a target. ``cut()`` closes the listener and drops every
    open connection; ``resume()`` listens on the same port again."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()

    async def resume(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        for pipe in self._pipes:
            pipe.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None
        self._writers.clear()
        self._pipes.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers |= {writer, upstream_writer}
        pipes = {
            asyncio.create_task(self._pipe(reader, upstream_writer)),
            asyncio.create_task(self._pipe(upstream_reader, writer)),
        }
        self._pipes |= pipes
        await asyncio.gather(*pipes, return_exceptions=True)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()


@asynccontextmanager
async def proxy_to(host: str, port: int) -> AsyncIterator[TcpProxy]:
    proxy = TcpProxy(host, port)
    await proxy.resume()
    try:
        yield proxy
    finally:
        if proxy._server is not None:
            await proxy.cut()


async def readiness(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status_code, response.json()


async def becomes(client: httpx.AsyncClient, status: int, database: bool) -> None:
    """Wait until /readyz answers ``status`` with exactly this check."""
    expected = {"status": "ready" if status == 200 else "not ready", "checks": {"database": database}}

    async def check() -> bool:
        assert await readiness(client) == (status, expected)
        return True

    await eventually(check, timeout=30, interval=0.25)


@pytest.mark.timeout(240)
async def test_readyz_follows_the_database_not_kafka(databases, kafka_config) -> None:
    from order_service.service import DEFINITION

    url = make_url(await databases.create("t_ready", DEFINITION.all_migrations()[1:]))
    kafka_host, _, kafka_port = kafka_config.bootstrap_servers.partition(",")[0].rpartition(":")
    assert url.host and url.port
    async with proxy_to(url.host, url.port) as pg, proxy_to(kafka_host, int(kafka_port)) as kafka:
        proxied_url = url.set(host="127.0.0.1", port=pg.port).render_as_string(hide_password=False)
        settings = DEFINITION.settings_type.model_validate(
            {
                "service_name": DEFINITION.name,
                "database_url": proxied_url,
                "kafka_bootstrap_servers": f"127.0.0.1:{kafka.port}",
                "topic_prefix": kafka_config.topic_prefix,
            }
        )
        keys, plain = platform_testing.test_keys()
        engine = make_engine(proxied_url, pool_size=5)
        ctx = build_context(settings, engine=engine, keys=keys)
        app = DEFINITION.create_app(ctx)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        headers = {"X-API-Key": plain[Role.ADMIN]}
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url="http://order", headers=headers
            ) as client:
                await becomes(client, 200, database=True)
                assert (await client.get("/products")).status_code == 200  # pooled connections in use

                # PostgreSQL goes away (listener and the pool's open connections), then returns.
                await pg.cut()
                await becomes(client, 503, database=False)
                await pg.resume()
                await becomes(client, 200, database=True)
                assert (await client.get("/products")).status_code == 200  # the pool recovered too

                # Kafka goes away: the API stays ready and writes still succeed (the outbox
                # holds their events).
                await kafka.cut()
                await becomes(client, 200, database=True)
                created = await client.post("/products", json=WIDGET)
                assert created.status_code == 201, created.text
                async with engine.connect() as conn:
                    pending = await conn.scalar(
                        text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    )
                assert pending and pending > 0
                await kafka.resume()
                await becomes(client, 200, database=True)

                # Both at once: only the database decides.
                await pg.cut()
                await kafka.cut()
                await becomes(client, 503, database=False)
                await pg.resume()
                await becomes(client, 200, database=True)
                await kafka.resume()
        finally:
            await engine.dispose()
