"""Cross-service fixtures: the whole system (all four services) on the real stack, sharing
the test's topics, each service with its own fresh database."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass

import pytest_asyncio
from e2e.flows import chart_reached_billing

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
        await chart_reached_billing(system.ledger, system.billing)
        yield system
