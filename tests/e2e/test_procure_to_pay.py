"""Procure to pay: bill, approval by someone else, payment run, AP balance zero in the books."""

from decimal import Decimal

import pytest

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from e2e.flows import eur, ok, trial_balance_is_zero

pytestmark = pytest.mark.integration


async def test_procure_to_pay_leaves_the_supplier_at_zero(system) -> None:
    billing, ledger = system.billing, system.ledger
    supplier = await ok(
        await billing.client.post(
            "/suppliers",
            json={
                "supplier_id": "sup-e2e",
                "name": "Paper & Co",
                "currency": "EUR",
                "payment_terms_days": 30,
            },
        ),
        201,
    )
    bill = await ok(
        await billing.client.post(
            "/supplier-bills",
            headers=billing.as_role(Role.PAYABLES_CLERK),
            json={
                "supplier_id": supplier["supplier_id"],
                "supplier_invoice_number": "PC-2026-17",
                "bill_date": "2026-01-10",
                "lines": [
                    {
                        "description": "printer paper",
                        "expense_account": "6100",
                        "net": eur("100.00"),
                        "vat_rate": "0.21",
                    }
                ],
            },
        ),
        201,
    )
    await ok(
        await billing.client.post(
            f"/supplier-bills/{bill['bill_id']}/approve", headers=billing.as_role(Role.APPROVER)
        )
    )

    async def payable(expected: str) -> bool:
        body = await ok(await ledger.client.get("/suppliers/sup-e2e/balance"))
        return {b["currency"]: Decimal(b["payable"]) for b in body["balances"]} == {"EUR": Decimal(expected)}

    await eventually(lambda: payable("121.00"), timeout=60)
    run = await ok(
        await billing.client.post(
            "/payment-runs", json={"pay_by": "2026-03-01"}, headers=billing.as_role(Role.PAYABLES_CLERK)
        ),
        201,
    )
    assert len(run["payments"]) == 1
    await eventually(lambda: payable("0.00"), timeout=60)
    assert await trial_balance_is_zero(ledger)
