"""The console with the four real services behind it, each served by a real uvicorn on
127.0.0.1 against the real Kafka and PostgreSQL (fresh databases, the test's topics)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest_asyncio
import uvicorn
from e2e.flows import chart_reached_billing
from fastapi import FastAPI

from backoffice_platform.auth import Role
from backoffice_platform.testing import RunningService, running_service
from backoffice_platform.user_tokens import ensure_key_pair

PASSWORD = "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """``app`` on a real uvicorn at 127.0.0.1; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class Deployment:
    """The whole system as a clerk meets it: the console's URL and the services behind it."""

    url: str
    console: RunningService
    order: RunningService
    billing: RunningService
    ledger: RunningService
    support: RunningService
    users: dict[str, str] = field(default_factory=dict)
    password: str = PASSWORD  # every test user's

    async def add_user(self, email: str, name: str, *roles: Role) -> str:
        from console_service.service_layer.people import add_user
        from console_service.web.core import Console

        console: Console = self.console.ctx.extras["console"]
        user = await add_user(
            console.people,
            email=email,
            name=name,
            roles=[r.value for r in roles],
            password=self.password,
            locale="en_DK",
            now=console.now(),
        )
        self.users[email] = user.user_id
        return user.user_id


@pytest_asyncio.fixture
async def deployment(databases, kafka_config, tmp_path: Path) -> AsyncIterator[Deployment]:
    from billing_service.service import DEFINITION as BILLING
    from console_service.service import DEFINITION as CONSOLE
    from ledger_service.service import DEFINITION as LEDGER
    from order_service.service import DEFINITION as ORDER
    from support_service.service import DEFINITION as SUPPORT

    private, public = ensure_key_pair(tmp_path / "keys")
    verifying = {"console_public_key_file": str(public)}
    async with AsyncExitStack() as stack:
        services = [
            await stack.enter_async_context(
                running_service(d, databases, kafka_config, settings_overrides=verifying)
            )
            for d in (ORDER, BILLING, LEDGER, SUPPORT)
        ]
        for svc in services[1:]:  # one business clock, so dates agree across services
            svc.ctx.clock = svc.clock = services[0].clock
        await chart_reached_billing(services[2], services[1])  # bills name the ledger's accounts
        urls = {}
        for svc in services:
            urls[f"{svc.definition.name}_api_url"] = await stack.enter_async_context(
                served(svc.definition.create_app(svc.ctx))
            )
        console = await stack.enter_async_context(
            running_service(
                CONSOLE,
                databases,
                kafka_config,
                start_worker=False,
                settings_overrides={**urls, "console_private_key_file": str(private)},
            )
        )
        app = CONSOLE.create_app(console.ctx)
        url = await stack.enter_async_context(served(app))
        try:
            yield Deployment(url, console, *services)
        finally:
            await console.ctx.extras["console"].http.aclose()
