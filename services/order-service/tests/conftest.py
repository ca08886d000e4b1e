"""Order-service fixtures: the whole service on a fresh database and the test's topics."""

from collections.abc import AsyncIterator

import pytest_asyncio

from backoffice_platform.testing import RunningService, running_service
from order_service.service import DEFINITION


@pytest_asyncio.fixture
async def order_svc(databases, kafka_config) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, databases, kafka_config) as svc:
        yield svc
