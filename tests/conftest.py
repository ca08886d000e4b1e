"""Cross-service fixtures: the whole system (all four services) on the real stack, sharing
the test's topics, each service with its own fresh database."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest_asyncio
from sqlalchemy import text

from backoffice_events.testing import eventually
from backoffice_platform.testing import RunningService, running_service


@dataclass
class System:
    order: RunningService
    billing: RunningService
    ledger: RunningService
    support: RunningService


@pytest_asyncio.fixture
async def system(databases, kafka_config) -> AsyncIterator[System]:
    from billing_service.service import DEFINITION as BILLING
    from ledger_service.service import DEFINITION as LEDGER
    from order_service.service import DEFINITION as ORDER
    from support_service.service import DEFINITION as SUPPORT

    async with AsyncExitStack() as stack:
        services = [
            await stack.enter_async_context(running_service(d, databases, kafka_config))
            for d in (ORDER, BILLING, LEDGER, SUPPORT)
        ]
        # One clock for the whole system, so dates agree across services.
        for svc in services[1:]:
            svc.ctx.clock = services[0].clock
            svc.clock = services[0].clock
        system = System(*services)
        await chart_reached_billing(system)
        yield system


_COUNTS = {
    "chart_accounts": text("SELECT count(*) FROM chart_accounts"),
    "ledger_chart": text("SELECT count(*) FROM ledger_chart"),
}


async def _count(svc: RunningService, table: str) -> int:
    async with svc.ctx.engine.connect() as conn:
        return int((await conn.execute(_COUNTS[table])).scalar() or 0)


async def chart_reached_billing(system: System) -> None:
    """Wait until billing has consumed the chart the ledger published on its first start (the
    relay publishes it on ``backoffice.ledger``), so bills can name its accounts."""

    async def reached() -> bool:
        published = await _count(system.ledger, "chart_accounts")
        return published > 0 and await _count(system.billing, "ledger_chart") == published

    await eventually(reached, timeout=60)
