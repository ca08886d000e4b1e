import pytest
from sqlalchemy import text

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

WIDGET = {
    "sku": "W-1",
    "name": "Widget",
    "unit_price": {"amount": "12.50", "currency": "EUR"},
    "vat_rate": "0.21",
}


async def count_events(svc) -> int:
    async with svc.ctx.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM events"))).scalar() or 0)


async def test_create_read_and_reprice_a_product(order_svc) -> None:
    created = await order_svc.client.post("/products", json=WIDGET)
    assert created.status_code == 201, created.text
    assert created.json()["unit_price"] == {"amount": "12.50", "currency": "EUR"}
    got = await order_svc.client.get("/products/W-1")
    assert got.status_code == 200 and got.headers["ETag"] == 'W/"1"'
    stale = await order_svc.client.put(
        "/products/W-1/price",
        json={"unit_price": {"amount": "13.00", "currency": "EUR"}},
        headers={"If-Match": 'W/"7"'},
    )
    assert stale.status_code == 409 and stale.json()["rule"] == "version-mismatch"
    repriced = await order_svc.client.put(
        "/products/W-1/price",
        json={"unit_price": {"amount": "13.00", "currency": "EUR"}},
        headers={"If-Match": 'W/"1"'},
    )
    assert repriced.status_code == 200 and repriced.json()["version"] == 2
    assert await count_events(order_svc) == 2


@pytest.mark.parametrize(
    ("body", "field", "status"),
    [
        ({**WIDGET, "unit_price": {"amount": "12.505", "currency": "EUR"}}, "unit_price", 422),
        ({**WIDGET, "unit_price": {"amount": 12.5, "currency": "EUR"}}, "unit_price", 422),
        ({**WIDGET, "vat_rate": "1.5"}, "vat_rate", 422),
        ({**WIDGET, "sku": ""}, "sku", 422),
    ],
)
async def test_bad_products_are_refused_and_nothing_is_written(order_svc, body, field, status) -> None:
    resp = await order_svc.client.post("/products", json=body)
    assert resp.status_code == status
    assert resp.headers["content-type"] == "application/problem+json"
    assert resp.json()["field"] == field
    assert await count_events(order_svc) == 0


async def test_malformed_json_and_oversize_bodies(order_svc) -> None:
    resp = await order_svc.client.post(
        "/products", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400 and resp.json()["rule"] == "malformed-json"
    big = {**WIDGET, "name": "x" * 2_000_000}
    resp = await order_svc.client.post("/products", json=big)
    assert resp.status_code == 413


async def test_roles(order_svc) -> None:
    no_key = await order_svc.client.get("/products/W-1", headers={"X-API-Key": ""})
    assert no_key.status_code == 401
    as_support = await order_svc.client.post(
        "/products", json=WIDGET, headers=order_svc.as_role(Role.SUPPORT_AGENT)
    )
    assert as_support.status_code == 403
    as_auditor = await order_svc.client.post(
        "/products", json=WIDGET, headers=order_svc.as_role(Role.AUDITOR)
    )
    assert as_auditor.status_code == 403
    assert (
        await order_svc.client.post("/products", json=WIDGET, headers=order_svc.as_role(Role.ORDER_CLERK))
    ).status_code == 201
    assert (
        await order_svc.client.get("/products/W-1", headers=order_svc.as_role(Role.AUDITOR))
    ).status_code == 200


async def test_health_readiness_and_metrics(order_svc) -> None:
    assert (await order_svc.client.get("/healthz")).json()["status"] == "ok"
    ready = await order_svc.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": True, "kafka": True}
    await order_svc.client.post("/products", json=WIDGET)
    metrics = (await order_svc.client.get("/metrics")).text
    assert "backoffice_http_request_duration_seconds_bucket" in metrics
    assert 'backoffice_events_appended_total{service="order"}' in metrics
