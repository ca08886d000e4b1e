"""Order to cash across all services on the real stack: order, ship, invoice, payment, books."""

from decimal import Decimal

import pytest

from backoffice_events.testing import eventually
from e2e.flows import (
    customer_balance,
    eur,
    invoice_for,
    ok,
    place_and_ship,
    receivable,
    stock_product,
    trial_balance_is_zero,
)

pytestmark = pytest.mark.integration


async def test_order_to_cash_leaves_the_customer_at_zero(system) -> None:
    await stock_product(system.order, "E2E-1", "10.00", "0.21", 100)
    await stock_product(system.order, "E2E-2", "4.99", "0.07", 100)
    _order_id, shipment_id = await place_and_ship(system.order, "cust-e2e", [("E2E-1", 3), ("E2E-2", 2)])

    invoice = await invoice_for(system.billing, "cust-e2e", shipment_id)
    # 3 x 10.00 net 30.00 + VAT 6.30; 2 x 4.99 net 9.98 + VAT 0.70 (0.6986 half up)
    assert (
        invoice["net"] == eur("39.98") and invoice["vat"] == eur("7.00") and invoice["gross"] == eur("46.98")
    )

    async def ar_posted() -> bool:
        return await receivable(system.ledger, "cust-e2e") == Decimal("46.98")

    await eventually(ar_posted, timeout=60)

    await ok(
        await system.billing.client.post(
            "/payments",
            json={
                "customer_id": "cust-e2e",
                "amount": eur("46.98"),
                "bank_transaction_id": "BANK-E2E-1",
                "payer_reference": invoice["number"],
            },
        ),
        201,
    )
    paid = await ok(await system.billing.client.get(f"/invoices/{invoice['invoice_id']}"))
    assert paid["status"] == "paid"

    async def settled() -> bool:
        return await customer_balance(system.ledger, "cust-e2e") == {"EUR": Decimal("0.00")}

    await eventually(settled, timeout=60)
    assert await trial_balance_is_zero(system.ledger)
    check = await ok(await system.ledger.client.get("/checks/invariants"))
    assert check["ok"], check["violations"]


async def test_correlation_id_is_carried_from_the_request_through_every_event_it_causes(system) -> None:
    from sqlalchemy import text

    from e2e.flows import ADDRESS

    await stock_product(system.order, "E2E-C", "5.00", "0.21", 10)
    placed = await ok(
        await system.order.client.post(
            "/orders",
            json={
                "customer_id": "cust-corr",
                "channel": "web",
                "currency": "EUR",
                "backorder_policy": "reject",
                "shipping_address": ADDRESS,
                "lines": [{"sku": "E2E-C", "quantity": 1}],
            },
            headers={"X-Correlation-Id": "corr-e2e-42"},
        ),
        201,
    )
    shipped = await system.order.client.post(
        f"/orders/{placed['order_id']}/shipments",
        json={"carrier": "UPS", "lines": [{"line_no": 1, "quantity": 1}]},
        headers={"X-Correlation-Id": "corr-e2e-43"},
    )
    assert shipped.headers["x-correlation-id"] == "corr-e2e-43"
    await invoice_for(system.billing, "cust-corr", shipped.json()["shipment_id"])

    async def correlations(svc) -> set[str]:
        async with svc.ctx.engine.connect() as conn:
            rows = await conn.execute(text("SELECT DISTINCT correlation_id FROM events"))
            return {r[0] for r in rows}

    assert {"corr-e2e-42", "corr-e2e-43"} <= await correlations(system.order)
    # The invoice was caused by the shipment event and carries the shipment request's correlation.
    async with system.billing.ctx.engine.connect() as conn:
        invoice_events = await conn.execute(
            text(
                "SELECT correlation_id, causation_id FROM events"
                " WHERE type = 'backoffice.billing.invoice_issued.v1'"
            )
        )
        rows = invoice_events.all()
    assert rows and all(r[0] == "corr-e2e-43" and r[1] for r in rows)
