"""Steps of the end-to-end flows, driven only through the services' HTTP APIs."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import text

from backoffice_events.testing import eventually
from backoffice_platform.testing import RunningService

ADDRESS = {
    "name": "Acme GmbH",
    "line1": "Hauptstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
}


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response.json()


async def stock_product(order: RunningService, sku: str, price: str, vat: str, quantity: int) -> None:
    await ok(
        await order.client.post(
            "/products", json={"sku": sku, "name": sku, "unit_price": eur(price), "vat_rate": vat}
        ),
        201,
    )
    await ok(await order.client.post(f"/stock/{sku}/receipts", json={"quantity": quantity}), 201)


async def place_and_ship(
    order: RunningService, customer: str, lines: list[tuple[str, int]]
) -> tuple[str, str]:
    placed = await ok(
        await order.client.post(
            "/orders",
            json={
                "customer_id": customer,
                "channel": "web",
                "currency": "EUR",
                "backorder_policy": "reject",
                "shipping_address": ADDRESS,
                "lines": [{"sku": s, "quantity": q} for s, q in lines],
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
        ),
        201,
    )
    order_id = placed["order_id"]
    shipped = await ok(
        await order.client.post(
            f"/orders/{order_id}/shipments",
            json={
                "carrier": "DHL",
                "tracking_number": "T-1",
                "lines": [{"line_no": i + 1, "quantity": q} for i, (_s, q) in enumerate(lines)],
            },
        ),
        201,
    )
    return order_id, shipped["shipment_id"]


async def invoice_for(billing: RunningService, customer: str, shipment_id: str) -> dict[str, Any]:
    async def find() -> dict[str, Any] | None:
        page = await ok(await billing.client.get("/invoices", params={"customer_id": customer}))
        for item in page["items"]:
            if item["shipment_id"] == shipment_id:
                return dict(item)
        return None

    found: dict[str, Any] = await eventually(find, timeout=60)
    return found


async def customer_balance(ledger: RunningService, customer: str) -> dict[str, Decimal]:
    body = await ok(await ledger.client.get(f"/customers/{customer}/balance"))
    return {b["currency"]: Decimal(b["net"]) for b in body["balances"]}


async def receivable(ledger: RunningService, customer: str) -> Decimal:
    body = await ok(await ledger.client.get(f"/customers/{customer}/balance"))
    return sum((Decimal(b["receivable"]) for b in body["balances"]), Decimal(0))


async def trial_balance_is_zero(ledger: RunningService) -> bool:
    body = await ok(await ledger.client.get("/trial-balance"))
    return bool(body["balanced"]) and all(Decimal(t["net"]) == 0 for t in body["totals"])


async def _count(svc: RunningService, table: str) -> int:
    # ``table`` is one of two fixed names below, never input.
    async with svc.ctx.engine.connect() as conn:
        return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar() or 0)  # noqa: S608


async def chart_reached_billing(ledger: RunningService, billing: RunningService) -> None:
    """Wait until billing has consumed the chart the ledger published on its first start (the
    relay publishes it on ``backoffice.ledger``), so bills can name its accounts."""

    async def reached() -> bool:
        published = await _count(ledger, "chart_accounts")
        return published > 0 and await _count(billing, "ledger_chart") == published

    await eventually(reached, timeout=60)
