"""Order-service fixtures: the whole service on a fresh database and the test's topics."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from sqlalchemy import text

from backoffice_platform.testing import RunningService, running_service
from order_service.service import DEFINITION

ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Main St 1",
    "postal_code": "1011",
    "city": "Amsterdam",
    "country": "NL",
}


@pytest_asyncio.fixture
async def order_svc(databases, kafka_config) -> AsyncIterator[RunningService]:
    async with running_service(DEFINITION, databases, kafka_config) as svc:
        yield svc


class Shop:
    """Short-hands over the running order service for the integration tests."""

    def __init__(self, svc: RunningService) -> None:
        self.svc = svc
        self.client = svc.client

    async def product(self, sku: str, price: str = "10.00", currency: str = "EUR", stock: int = 0) -> None:
        body = {
            "sku": sku,
            "name": sku,
            "unit_price": {"amount": price, "currency": currency},
            "vat_rate": "0.21",
        }
        resp = await self.client.post("/products", json=body)
        assert resp.status_code == 201, resp.text
        if stock:
            await self.receive(sku, stock)

    async def receive(self, sku: str, quantity: int, **extra: Any) -> dict[str, Any]:
        resp = await self.client.post(f"/stock/{sku}/receipts", json={"quantity": quantity, **extra})
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def order_body(self, *lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "customer_id": "cust-1",
            "channel": "web",
            "currency": "EUR",
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
            "shipping_address": ADDRESS,
            "backorder_policy": "allow",
        }
        body.update(overrides)
        return body

    async def place(self, *lines: tuple[str, int], **overrides: Any) -> dict[str, Any]:
        resp = await self.client.post("/orders", json=self.order_body(*lines, **overrides))
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    async def ship(self, order_id: str, *lines: tuple[int, int], **extra: Any) -> httpx.Response:
        body = {"lines": [{"line_no": no, "quantity": q} for no, q in lines], "carrier": "DHL", **extra}
        return await self.client.post(f"/orders/{order_id}/shipments", json=body)

    async def stock(self, sku: str) -> dict[str, Any]:
        resp = await self.client.get(f"/stock/{sku}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def order(self, order_id: str) -> dict[str, Any]:
        resp = await self.client.get(f"/orders/{order_id}")
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.svc.ctx.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def event_count(self) -> int:
        return int(await self.scalar("SELECT count(*) FROM events") or 0)

    async def event_types(self, stream_id: str) -> list[str]:
        async with self.svc.ctx.engine.connect() as conn:
            rows = await conn.execute(
                text("SELECT type FROM events WHERE stream_id = :s ORDER BY stream_version"), {"s": stream_id}
            )
            return [r.type for r in rows]


@pytest_asyncio.fixture
async def shop(order_svc: RunningService) -> Shop:
    return Shop(order_svc)
