"""While PostgreSQL is unreachable, every API answers 503 ``database-unavailable`` with a
``Retry-After`` header, for reads and writes alike, never a 500; once it is back, the same
requests succeed without restarting anything.

The shared server stays up: each service reaches its database through a TCP proxy of its own
(see test_readiness), and cutting the proxy (listener and open connections) is the outage.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from api.test_readiness import WIDGET, proxy_to
from backoffice_platform import testing as platform_testing
from backoffice_platform.app import build_context
from backoffice_platform.auth import Role
from backoffice_platform.db import make_engine

pytestmark = pytest.mark.integration

# (method, path, body) per service: reads of each service and a write of the order service.
REQUESTS: dict[str, list[tuple[str, str, Any]]] = {
    "order": [("GET", "/products", None), ("GET", "/orders", None), ("POST", "/products", WIDGET)],
    "billing": [("GET", "/invoices", None)],
    "ledger": [("GET", "/accounts", None)],
    "support": [("GET", "/tickets", None)],
}


def _definition(name: str) -> Any:
    module = __import__(f"{name}_service.service", fromlist=["DEFINITION"])
    return module.DEFINITION


@pytest.mark.timeout(180)
@pytest.mark.parametrize("service", sorted(REQUESTS))
async def test_requests_answer_503_with_retry_after_while_the_database_is_down(
    service: str, databases, kafka_config
) -> None:
    definition = _definition(service)
    url = make_url(await databases.create(f"t_{service}_down", definition.all_migrations()[1:]))
    assert url.host and url.port
    async with proxy_to(url.host, url.port) as pg:
        proxied = url.set(host="127.0.0.1", port=pg.port).render_as_string(hide_password=False)
        settings = definition.settings_type.model_validate(
            {
                "service_name": definition.name,
                "database_url": proxied,
                "kafka_bootstrap_servers": kafka_config.bootstrap_servers,
                "topic_prefix": kafka_config.topic_prefix,
            }
        )
        keys, plain = platform_testing.test_keys()
        engine = make_engine(proxied, pool_size=2)
        app = definition.create_app(build_context(settings, engine=engine, keys=keys))
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        try:
            async with httpx.AsyncClient(
                transport=transport, base_url=f"http://{service}", headers={"X-API-Key": plain[Role.ADMIN]}
            ) as client:
                for method, path, _body in REQUESTS[service]:
                    if method == "GET":  # pooled connections exist when the database goes away
                        assert (await client.get(path)).status_code == 200

                await pg.cut()
                for attempt in range(2):  # first on dead pooled connections, then on refused ones
                    for method, path, body in REQUESTS[service]:
                        resp = await client.request(method, path, json=body)
                        assert resp.status_code == 503, f"{attempt} {method} {path}: {resp.text}"
                        assert resp.headers["retry-after"].isdigit()
                        assert resp.headers["content-type"] == "application/problem+json"
                        problem = resp.json()
                        assert problem["rule"] == "database-unavailable"
                        assert problem["type"].endswith("/database-unavailable")

                await pg.resume()
                for method, path, body in REQUESTS[service]:
                    resp = await client.request(method, path, json=body)
                    assert resp.status_code in (200, 201), f"{method} {path}: {resp.text}"
        finally:
            await engine.dispose()
