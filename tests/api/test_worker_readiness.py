"""The worker's readiness follows what it needs: Kafka (relay and consumers) and its database,
each component named in the answer. A worker started while Kafka is unreachable is not ready,
with the relay and every consumer failing; once Kafka is reachable it becomes ready by itself.
Its port also serves the Prometheus metrics of the relay and consumers.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.test_readiness import proxy_to
from backoffice_events.testing import eventually
from backoffice_platform import testing as platform_testing
from backoffice_platform.app import build_context
from backoffice_platform.db import make_engine
from backoffice_platform.runtime import Worker
from backoffice_platform.worker_health import worker_health_app

pytestmark = pytest.mark.integration


async def _answer(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    resp = await client.get("/readyz")
    return resp.status_code, resp.json()


@pytest.mark.timeout(240)
async def test_worker_readiness_follows_kafka_per_component(databases, kafka_config) -> None:
    from billing_service.service import DEFINITION

    url = await databases.create("t_worker_ready", DEFINITION.all_migrations()[1:])
    kafka_host, _, kafka_port = kafka_config.bootstrap_servers.partition(",")[0].rpartition(":")
    async with proxy_to(kafka_host, int(kafka_port)) as kafka:
        await kafka.cut()  # Kafka is unreachable when the worker starts
        settings = DEFINITION.settings_type.model_validate(
            {
                "service_name": DEFINITION.name,
                "database_url": url,
                "kafka_bootstrap_servers": f"127.0.0.1:{kafka.port}",
                "topic_prefix": kafka_config.topic_prefix,
            }
        )
        keys, _plain = platform_testing.test_keys()
        engine = make_engine(url, pool_size=5)
        worker = Worker(DEFINITION, build_context(settings, engine=engine, keys=keys), run_jobs=False)
        await worker.start()
        consumers = [f"consumer:{c.name}" for c in worker.consumers]
        assert consumers
        components = {"database", "kafka", "relay", *consumers}
        transport = httpx.ASGITransport(app=worker_health_app(worker))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
                assert (await client.get("/healthz")).status_code == 200  # alive all the same

                async def not_ready() -> bool:
                    status, body = await _answer(client)
                    assert status == 503 and body["status"] == "not ready"
                    assert set(body["checks"]) == components
                    assert body["checks"]["database"] is True
                    assert not any(ok for name, ok in body["checks"].items() if name != "database")
                    return True

                await eventually(not_ready, timeout=60, interval=0.5)

                await kafka.resume()

                async def ready() -> bool:
                    assert await _answer(client) == (
                        200,
                        {"status": "ready", "service": "billing", "checks": dict.fromkeys(components, True)},
                    )
                    return True

                await eventually(ready, timeout=90, interval=0.5)
                metrics = (await client.get("/metrics")).text
                assert 'backoffice_worker_component_up{component="relay",service="billing"} 1.0' in metrics
                assert 'backoffice_outbox_backlog{service="billing"}' in metrics
        finally:
            await worker.stop()
            await engine.dispose()
