"""The ledger's books agree with billing after a realistic receivables and payables scenario
driven through the APIs: invoices from shipments, partial and over-payments, a credit note, a
write-off, supplier bills and a payment run. Checked: each customer's AR equals
billing's open amount, the trial balance is zero, the invariants hold, and the aging buckets
follow the invoices' due dates at two dates."""

from decimal import Decimal

import pytest

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from e2e.flows import eur, invoice_for, ok, place_and_ship, stock_product, trial_balance_is_zero

pytestmark = pytest.mark.integration


async def _open_amounts(billing, customer: str) -> Decimal:
    page = await ok(await billing.client.get("/invoices", params={"customer_id": customer}))
    return sum((Decimal(i["open_amount"]["amount"]) for i in page["items"]), Decimal(0))


async def _receivable(ledger, customer: str) -> Decimal:
    body = await ok(await ledger.client.get(f"/customers/{customer}/balance"))
    return sum((Decimal(b["receivable"]) for b in body["balances"]), Decimal(0))


async def test_books_follow_billing_through_a_month_of_business(system) -> None:
    order, billing, ledger = system.order, system.billing, system.ledger
    # Clock: 2026-01-15. Alpha pays in 14 days (due 01-29), Beta in 30 (due 02-14).
    await ok(
        await billing.client.post(
            "/accounts", json={"customer_id": "alpha", "currency": "EUR", "payment_terms_days": 14}
        ),
        201,
    )
    await ok(
        await billing.client.post(
            "/accounts", json={"customer_id": "beta", "currency": "EUR", "payment_terms_days": 30}
        ),
        201,
    )
    await stock_product(order, "BK-1", "100.00", "0.21", 100)
    invoices = {}
    for name, customer, qty in [("a1", "alpha", 1), ("a2", "alpha", 2), ("b1", "beta", 1), ("b2", "beta", 3)]:
        _order_id, shipment = await place_and_ship(order, customer, [("BK-1", qty)])
        invoices[name] = await invoice_for(billing, customer, shipment)
    assert invoices["a1"]["gross"] == eur("121.00") and invoices["b2"]["gross"] == eur("363.00")

    # Alpha: a partial payment naming a2, then a payment applied oldest due first.
    await ok(
        await billing.client.post(
            "/payments",
            json={
                "customer_id": "alpha",
                "amount": eur("100.00"),
                "bank_transaction_id": "B-1",
                "payer_reference": invoices["a2"]["number"],
            },
        ),
        201,
    )
    await ok(
        await billing.client.post(
            "/payments", json={"customer_id": "alpha", "amount": eur("200.00"), "bank_transaction_id": "B-2"}
        ),
        201,
    )
    # a1 121.00 + a2 242.00 = 363.00; paid 300.00 -> oldest first: a1 paid, a2 partly: open 63.00
    await ok(
        await billing.client.post(
            f"/invoices/{invoices['a2']['invoice_id']}/credit-notes",
            json={"amount": eur("13.00"), "reason": "late delivery"},
        ),
        201,
    )
    # Beta: b1 written off, b2 open in full.
    await ok(
        await billing.client.post(
            f"/invoices/{invoices['b1']['invoice_id']}/write-off", json={"reason": "customer insolvent"}
        )
    )
    # Payables: one bill approved and paid by a run, one approved and still owed.
    await ok(
        await billing.client.post(
            "/suppliers",
            json={"supplier_id": "sup-bk", "name": "Books Ltd", "currency": "EUR", "payment_terms_days": 30},
        ),
        201,
    )
    clerk, approver = billing.as_role(Role.PAYABLES_CLERK), billing.as_role(Role.APPROVER)
    for number, due in [("SB-1", "2026-01-20"), ("SB-2", "2026-03-01")]:
        bill = await ok(
            await billing.client.post(
                "/supplier-bills",
                headers=clerk,
                json={
                    "supplier_id": "sup-bk",
                    "supplier_invoice_number": number,
                    "bill_date": "2026-01-10",
                    "due_date": due,
                    "lines": [
                        {
                            "description": "stock",
                            "expense_account": "6100",
                            "net": eur("50.00"),
                            "vat_rate": "0.21",
                        }
                    ],
                },
            ),
            201,
        )
        await ok(await billing.client.post(f"/supplier-bills/{bill['bill_id']}/approve", headers=approver))
    run = await ok(
        await billing.client.post("/payment-runs", json={"pay_by": "2026-01-31"}, headers=clerk), 201
    )
    assert len(run["payments"]) == 1

    expected = {"alpha": await _open_amounts(billing, "alpha"), "beta": await _open_amounts(billing, "beta")}
    assert expected == {"alpha": Decimal("50.00"), "beta": Decimal("363.00")}

    async def books_caught_up() -> bool:
        payable = await ok(await ledger.client.get("/suppliers/sup-bk/balance"))
        return (
            await _receivable(ledger, "alpha") == expected["alpha"]
            and await _receivable(ledger, "beta") == expected["beta"]
            and [b["payable"] for b in payable["balances"]] == ["60.50"]
        )

    await eventually(books_caught_up, timeout=90)
    assert await trial_balance_is_zero(ledger)
    check = await ok(await ledger.client.get("/checks/invariants"))
    assert check["ok"], check["violations"]

    async def buckets(as_of: str) -> dict[str, dict[str, str]]:
        aging = await ok(await ledger.client.get("/aging/receivables", params={"as_of": as_of}))
        return {p["party_id"]: p["buckets"] for p in aging["parties"]}

    early = await buckets("2026-01-20")  # nothing is due yet
    assert early["alpha"]["current"] == "50.00" and early["beta"]["current"] == "363.00"
    late = await buckets("2026-03-05")  # alpha 35 days past due, beta 19 days
    assert late["alpha"]["days_31_60"] == "50.00" and late["alpha"]["current"] == "0.00"
    assert late["beta"]["days_1_30"] == "363.00" and late["beta"]["days_31_60"] == "0.00"
