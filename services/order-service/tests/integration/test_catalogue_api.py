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
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": True
    }  # an API needs only its database
    await order_svc.client.post("/products", json=WIDGET)
    metrics = (await order_svc.client.get("/metrics")).text
    assert "backoffice_http_request_duration_seconds_bucket" in metrics
    assert 'backoffice_events_appended_total{service="order"}' in metrics


async def test_deactivate_a_product(order_svc) -> None:
    await order_svc.client.post("/products", json=WIDGET)
    stale = await order_svc.client.post("/products/W-1/deactivate", headers={"If-Match": 'W/"5"'})
    assert stale.status_code == 409 and stale.json()["rule"] == "version-mismatch"
    clerk = order_svc.as_role(Role.ORDER_CLERK)
    sales = order_svc.as_role(Role.SALES_REP)
    assert (await order_svc.client.post("/products/W-1/deactivate", headers=sales)).status_code == 403
    done = await order_svc.client.post("/products/W-1/deactivate", headers={**clerk, "If-Match": 'W/"1"'})
    assert done.status_code == 200 and done.json()["active"] is False and done.headers["ETag"] == 'W/"2"'
    before = await count_events(order_svc)
    again = await order_svc.client.post("/products/W-1/deactivate")
    assert again.status_code == 409 and again.json()["rule"] == "product-inactive"
    reprice = await order_svc.client.put(
        "/products/W-1/price", json={"unit_price": {"amount": "1.00", "currency": "EUR"}}
    )
    assert reprice.status_code == 409 and reprice.json()["rule"] == "product-inactive"
    assert await count_events(order_svc) == before
    missing = await order_svc.client.post("/products/NOPE/deactivate")
    assert missing.status_code == 404 and missing.json()["rule"] == "unknown-sku"


async def test_list_products_a_page_at_a_time(order_svc) -> None:
    for sku in ("C-3", "A-1", "B-2", "D-4", "E-5"):
        assert (await order_svc.client.post("/products", json={**WIDGET, "sku": sku})).status_code == 201
    await order_svc.client.post("/products/B-2/deactivate")
    first = (await order_svc.client.get("/products", params={"limit": 2})).json()
    assert [p["sku"] for p in first["items"]] == ["A-1", "B-2"] and first["next_cursor"]
    rest = (
        await order_svc.client.get("/products", params={"limit": 5, "cursor": first["next_cursor"]})
    ).json()
    assert [p["sku"] for p in rest["items"]] == ["C-3", "D-4", "E-5"] and rest["next_cursor"] is None
    active = (await order_svc.client.get("/products", params={"active": "true"})).json()
    assert [p["sku"] for p in active["items"]] == ["A-1", "C-3", "D-4", "E-5"]
    partner = await order_svc.client.get("/products", headers=order_svc.as_role(Role.PARTNER))
    assert partner.status_code == 200
    bad = await order_svc.client.get("/products", params={"cursor": "%%%"})
    assert bad.status_code == 422 and bad.json()["rule"] == "cursor-invalid"
    too_many = await order_svc.client.get("/products", params={"limit": 1000})
    assert too_many.status_code == 422 and too_many.json()["field"] == "limit"
