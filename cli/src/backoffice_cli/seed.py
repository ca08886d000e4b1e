"""The demo company, seeded through the public HTTP APIs of a running system.

Catalogue and stock, three customers with billing accounts, two suppliers with bills, orders
in several states (fulfilled, partly shipped, backordered, cancelled), a paid invoice, an
overdue invoice with a dunning reminder, and an open support ticket. Idempotent: does nothing
when the demo catalogue already exists.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from typing import Any

import httpx

from .local import api_url

ADDRESS = {
    "name": "Acme GmbH",
    "line1": "Hauptstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
    "country": "DE",
}


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


class DemoSeeder:
    def __init__(self, admin_key: str) -> None:
        headers = {"X-API-Key": admin_key}
        self.order = httpx.Client(base_url=api_url("order"), headers=headers, timeout=30)
        self.billing = httpx.Client(base_url=api_url("billing"), headers=headers, timeout=30)
        self.support = httpx.Client(base_url=api_url("support"), headers=headers, timeout=30)

    @staticmethod
    def _ok(response: httpx.Response) -> Any:
        if response.status_code >= 400:
            raise SystemExit(
                f"seeding failed: {response.request.method} {response.request.url}: {response.text}"
            )
        return response.json()

    def already_seeded(self) -> bool:
        return self.order.get("/products/DEMO-CHAIR").status_code == 200

    def place(self, customer: str, lines: list[tuple[str, int]], policy: str = "reject") -> str:
        body = {
            "customer_id": customer,
            "channel": "web",
            "currency": "EUR",
            "backorder_policy": policy,
            "shipping_address": ADDRESS,
            "lines": [{"sku": s, "quantity": q} for s, q in lines],
        }
        placed = self._ok(
            self.order.post("/orders", json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        )
        return str(placed["order_id"])

    def ship(self, order_id: str, lines: list[tuple[int, int]]) -> str:
        shipped = self._ok(
            self.order.post(
                f"/orders/{order_id}/shipments",
                json={
                    "carrier": "DHL",
                    "tracking_number": f"DHL-{uuid.uuid4().hex[:8]}",
                    "lines": [{"line_no": n, "quantity": q} for n, q in lines],
                },
            )
        )
        return str(shipped["shipment_id"])

    def invoice_of(self, customer: str, shipment_id: str) -> dict[str, Any]:
        for _ in range(120):
            page = self._ok(self.billing.get("/invoices", params={"customer_id": customer}))
            for item in page["items"]:
                if item["shipment_id"] == shipment_id:
                    return dict(item)
            time.sleep(0.25)
        raise SystemExit(f"no invoice for shipment {shipment_id} after 30 s")

    def run(self) -> None:
        if self.already_seeded():
            print("demo data already present")
            return
        for sku, name, price, vat, qty in [
            ("DEMO-CHAIR", "Office chair", "149.00", "0.21", 40),
            ("DEMO-DESK", "Standing desk", "499.00", "0.21", 10),
            ("DEMO-LAMP", "Desk lamp", "39.90", "0.21", 0),
            ("DEMO-BOOK", "Ergonomics handbook", "24.00", "0.07", 25),
        ]:
            self._ok(
                self.order.post(
                    "/products", json={"sku": sku, "name": name, "unit_price": eur(price), "vat_rate": vat}
                )
            )
            if qty:
                self._ok(
                    self.order.post(f"/stock/{sku}/receipts", json={"quantity": qty, "reference": "demo"})
                )
        for customer, terms in [("cust-acme", 30), ("cust-globex", 14), ("cust-late", 0)]:
            self._ok(
                self.billing.post(
                    "/accounts",
                    json={
                        "customer_id": customer,
                        "currency": "EUR",
                        "payment_terms_days": terms,
                        "dunning_contact": f"ap@{customer[5:]}.example",
                    },
                )
            )
        # Fulfilled and paid.
        paid_order = self.place("cust-acme", [("DEMO-CHAIR", 2), ("DEMO-BOOK", 1)])
        paid_invoice = self.invoice_of("cust-acme", self.ship(paid_order, [(1, 2), (2, 1)]))
        self._ok(
            self.billing.post(
                "/payments",
                json={
                    "customer_id": "cust-acme",
                    "amount": paid_invoice["gross"],
                    "bank_transaction_id": "DEMO-BANK-1",
                    "payer_reference": paid_invoice["number"],
                },
            )
        )
        # Partly shipped, invoice open.
        partial = self.place("cust-globex", [("DEMO-DESK", 3)])
        self.ship(partial, [(1, 1)])
        # Backordered: no lamps in stock yet.
        self.place("cust-globex", [("DEMO-LAMP", 5)], policy="allow")
        # Cancelled before shipping.
        cancelled = self.place("cust-acme", [("DEMO-BOOK", 2)])
        self._ok(
            self.order.post(f"/orders/{cancelled}/cancel", json={"reason": "customer changed their mind"})
        )
        # Overdue: net 0 terms, dunning run for a week later issues the first reminder.
        late_order = self.place("cust-late", [("DEMO-CHAIR", 1)])
        late_invoice = self.invoice_of("cust-late", self.ship(late_order, [(1, 1)]))
        as_of = (dt.date.fromisoformat(late_invoice["due_date"]) + dt.timedelta(days=8)).isoformat()
        self._ok(self.billing.post("/jobs/dunning", params={"as_of": as_of}))
        # Suppliers and a bill awaiting approval.
        self._ok(
            self.billing.post(
                "/suppliers",
                json={
                    "supplier_id": "sup-paper",
                    "name": "Paper & Co",
                    "currency": "EUR",
                    "payment_terms_days": 30,
                },
            )
        )
        self._ok(
            self.billing.post(
                "/suppliers",
                json={
                    "supplier_id": "sup-freight",
                    "name": "Fast Freight",
                    "currency": "EUR",
                    "payment_terms_days": 14,
                },
            )
        )
        self._ok(
            self.billing.post(
                "/supplier-bills",
                json={
                    "supplier_id": "sup-paper",
                    "supplier_invoice_number": "PC-1001",
                    "bill_date": dt.date.today().isoformat(),
                    "lines": [
                        {
                            "description": "printer paper",
                            "expense_account": "6100",
                            "net": eur("120.00"),
                            "vat_rate": "0.21",
                        }
                    ],
                },
            )
        )
        # An open ticket about the partly shipped order (support learns the customer from events).
        for _ in range(120):
            if self.support.get("/customers/cust-globex/timeline").status_code == 200:
                timeline = self.support.get("/customers/cust-globex/timeline").json()
                if any(i["kind"] == "order_placed" for i in timeline["items"]):
                    break
            time.sleep(0.25)
        self._ok(
            self.support.post(
                "/tickets",
                json={
                    "customer_id": "cust-globex",
                    "order_id": partial,
                    "channel": "phone",
                    "priority": "high",
                    "subject": "Where are the other two desks?",
                    "description": "Only one of three desks arrived.",
                },
            )
        )
        print("demo company seeded: 4 products, 3 customers, 5 orders, 2 suppliers, 1 open ticket")


def seed_demo(admin_key: str) -> None:
    DemoSeeder(admin_key).run()
