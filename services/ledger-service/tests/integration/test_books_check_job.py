"""The ledger's worker checks the books on a schedule: the invariant gauge is set without
anyone calling ``GET /checks/invariants``."""

import pytest
from prometheus_client import REGISTRY

from backoffice_events.testing import eventually
from backoffice_platform.metrics import LEDGER_INVARIANTS_OK
from backoffice_platform.testing import running_service

pytestmark = pytest.mark.integration


async def test_worker_sets_the_invariant_gauge_by_itself(databases, kafka_config) -> None:
    from ledger_service.service import DEFINITION

    assert "books-check" in [job.name for job in DEFINITION.jobs]
    LEDGER_INVARIANTS_OK.labels("ledger").set(-1)  # neither passed nor failed yet

    async def gauge_set() -> bool:
        return REGISTRY.get_sample_value("backoffice_ledger_invariants_ok", {"service": "ledger"}) == 1

    async with running_service(DEFINITION, databases, kafka_config, run_jobs=True):
        await eventually(gauge_set)  # empty books balance
