"""Thin clients of the four services' HTTP APIs, called on a logged-in user's behalf.

One ``ServiceApi`` per service; each method is one endpoint, so an endpoint that lands later
is one more method. Every call carries the user's short-lived signed token, so the services
see the person (roles, actor on events, four-eyes) and not the console.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

Json = dict[str, Any]


def seg(value: str) -> str:
    """One path segment as typed by a clerk: ``../stock`` must not become another path."""
    return quote(value, safe="")


class ApiProblem(Exception):
    """A service answered with an RFC 9457 problem (or could not be reached)."""

    def __init__(self, status: int, problem: Json) -> None:
        super().__init__(problem.get("detail") or problem.get("title") or f"HTTP {status}")
        self.status = status
        self.problem = problem

    @property
    def field(self) -> str | None:
        """The form field the problem names (``lines[0].sku`` -> ``lines[0].sku``)."""
        value = self.problem.get("field")
        return str(value) if value else None

    @property
    def message(self) -> str:
        return str(self)


@dataclass
class ServiceApi:
    """One service, as one user."""

    base_url: str
    http: httpx.AsyncClient
    token: str

    async def call(
        self,
        method: str,
        path: str,
        *,
        json: Json | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool = False,
    ) -> Json:
        headers = {"Authorization": f"Bearer {self.token}"}
        if idempotent:  # a double click or retry records nothing twice
            headers["Idempotency-Key"] = str(uuid.uuid4())
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self.http.request(
                method, self.base_url + path, json=json, params=clean, headers=headers
            )
        except httpx.HTTPError as exc:
            raise ApiProblem(
                503, {"title": "Service unavailable", "detail": f"{self.base_url}: {exc}"}
            ) from exc
        if response.status_code >= 400:
            try:
                problem = response.json()
            except ValueError:
                problem = {"title": response.reason_phrase, "detail": response.text[:300]}
            raise ApiProblem(response.status_code, problem if isinstance(problem, dict) else {})
        body: Json = response.json() if response.content else {}
        return body

    async def get(self, path: str, **params: Any) -> Json:
        return await self.call("GET", path, params=params)


class OrderApi(ServiceApi):
    async def orders(self, status: str | None = None, cursor: str | None = None, limit: int = 25) -> Json:
        return await self.get("/orders", status=status, cursor=cursor, limit=limit)

    async def order(self, order_id: str) -> Json:
        return await self.get(f"/orders/{seg(order_id)}")

    async def place_order(self, body: Json) -> Json:
        return await self.call("POST", "/orders", json=body, idempotent=True)

    async def ship(self, order_id: str, body: Json) -> Json:
        return await self.call("POST", f"/orders/{seg(order_id)}/shipments", json=body, idempotent=True)

    async def cancel(self, order_id: str, reason: str) -> Json:
        return await self.call("POST", f"/orders/{seg(order_id)}/cancel", json={"reason": reason})

    async def products(self, cursor: str | None = None, limit: int = 100) -> Json:
        return await self.get("/products", active="true", cursor=cursor, limit=limit)

    async def product(self, sku: str) -> Json:
        return await self.get(f"/products/{seg(sku)}")

    async def stock(self, q: str | None = None, having: str | None = None, cursor: str | None = None) -> Json:
        return await self.get("/stock", q=q, having=having, cursor=cursor, limit=50)

    async def stock_of(self, sku: str) -> Json:
        return await self.get(f"/stock/{seg(sku)}")


class BillingApi(ServiceApi):
    async def invoices(
        self, customer_id: str | None = None, status: str | None = None, cursor: str | None = None
    ) -> Json:
        return await self.get("/invoices", customer_id=customer_id, status=status, cursor=cursor, limit=25)

    async def invoice(self, invoice_id: str) -> Json:
        return await self.get(f"/invoices/{seg(invoice_id)}")

    async def bills(self, status: str | None = None, cursor: str | None = None) -> Json:
        return await self.get("/supplier-bills", status=status, cursor=cursor, limit=25)

    async def bill(self, bill_id: str) -> Json:
        return await self.get(f"/supplier-bills/{seg(bill_id)}")

    async def enter_bill(self, body: Json) -> Json:
        return await self.call("POST", "/supplier-bills", json=body, idempotent=True)

    async def approve_bill(self, bill_id: str) -> Json:
        return await self.call("POST", f"/supplier-bills/{seg(bill_id)}/approve")

    async def reject_bill(self, bill_id: str, reason: str) -> Json:
        return await self.call("POST", f"/supplier-bills/{seg(bill_id)}/reject", json={"reason": reason})

    async def payment_run(self, pay_by: str) -> Json:
        return await self.call("POST", "/payment-runs", json={"pay_by": pay_by}, idempotent=True)

    async def payment(self, payment_id: str) -> Json:
        return await self.get(f"/payments/{seg(payment_id)}")


class LedgerApi(ServiceApi):
    async def trial_balance(self, as_of: str | None = None) -> Json:
        return await self.get("/trial-balance", as_of=as_of)

    async def checks(self, as_of: str | None = None) -> Json:
        return await self.get("/checks/invariants", as_of=as_of)


class SupportApi(ServiceApi):
    async def tickets(self, status: str | None = None, cursor: str | None = None) -> Json:
        return await self.get("/tickets", status=status, cursor=cursor, limit=25)

    async def ticket(self, ticket_id: str) -> Json:
        return await self.get(f"/tickets/{seg(ticket_id)}")

    async def timeline(self, customer_id: str) -> Json:
        return await self.get(f"/customers/{seg(customer_id)}/timeline")

    async def act(self, ticket_id: str, action: str, body: Json | None) -> Json:
        """One of the ticket's commands: replies, notes, root-cause, remedies, resolve."""
        return await self.call("POST", f"/tickets/{seg(ticket_id)}/{seg(action)}", json=body)


@dataclass(frozen=True)
class Services:
    """The four services as one user sees them."""

    orders: OrderApi
    billing: BillingApi
    ledger: LedgerApi
    support: SupportApi
