"""Payments: posting, allocation (reference, oldest due first, surplus), unapplied cash applied
later, allocations by hand, and every bad input refused with nothing written."""

import asyncio
import datetime as dt

import pytest

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

HUNDRED = ("A", 1, "100.00", "0")


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def allocations(payment: dict) -> dict[str, str]:
    return {a["invoice_id"]: a["amount"]["amount"] for a in payment["allocations"]}


async def test_exact_partial_and_overpayment(billing) -> None:
    exact = await billing.ship("c-exact", HUNDRED)
    partial = await billing.ship("c-partial", HUNDRED)
    over = await billing.ship("c-over", HUNDRED)

    paid = await billing.pay("c-exact", "100.00")
    assert paid.status_code == 201, paid.text
    assert allocations(paid.json()) == {exact["invoice_id"]: "100.00"} and paid.json()["unapplied"] == eur(
        "0.00"
    )
    exact = await billing.invoice(exact["invoice_id"])
    assert (exact["status"], exact["paid_on"], exact["open_amount"]) == ("paid", "2026-01-15", eur("0.00"))

    part = (await billing.pay("c-partial", "40.00")).json()
    assert allocations(part) == {partial["invoice_id"]: "40.00"}
    partial = await billing.invoice(partial["invoice_id"])
    assert (partial["status"], partial["paid"], partial["open_amount"]) == (
        "open",
        eur("40.00"),
        eur("60.00"),
    )

    surplus = (await billing.pay("c-over", "130.00")).json()
    assert allocations(surplus) == {over["invoice_id"]: "100.00"} and surplus["unapplied"] == eur("30.00")
    assert (await billing.invoice(over["invoice_id"]))["status"] == "paid"
    assert (await billing.account("c-over"))["unapplied_cash"] == eur("30.00")
    assert (await billing.client.get(f"/payments/{surplus['payment_id']}")).json() == surplus
    assert (await billing.event_types()).count("backoffice.billing.invoice_paid.v1") == 2


async def test_a_reference_pays_the_invoice_it_names(billing) -> None:
    older = await billing.ship("cust-1", HUNDRED)
    named = await billing.ship("cust-1", ("B", 1, "80.00", "0"))
    third = await billing.ship("cust-1", ("C", 1, "50.00", "0"))
    resp = await billing.pay("cust-1", "80.00", reference=f"remittance {named['number'].lower()} thanks")
    assert allocations(resp.json()) == {named["invoice_id"]: "80.00"}
    assert (await billing.invoice(older["invoice_id"]))["status"] == "open"
    # A reference naming an invoice by id, paying more than it: the rest goes oldest due first.
    resp = await billing.pay("cust-1", "70.00", reference=third["invoice_id"])
    assert allocations(resp.json()) == {third["invoice_id"]: "50.00", older["invoice_id"]: "20.00"}


async def test_without_reference_the_oldest_due_invoice_is_paid_first(billing_svc, billing) -> None:
    billing_svc.clock.at = dt.datetime(2026, 1, 25, 9, tzinfo=dt.UTC)
    newest = await billing.ship("cust-1", HUNDRED, shipped_at=dt.datetime(2026, 1, 25, 8, tzinfo=dt.UTC))
    middle = await billing.ship("cust-1", HUNDRED, shipped_at=dt.datetime(2026, 1, 20, 8, tzinfo=dt.UTC))
    # Invoiced after a later invoice of the series: dated like it, the shipment's date kept.
    assert (middle["issue_date"], middle["delivery_date"], middle["due_date"]) == (
        "2026-01-25",
        "2026-01-20",
        "2026-02-24",
    )
    oldest = await billing.ship("cust-1", HUNDRED, shipped_at=dt.datetime(2025, 12, 10, 8, tzinfo=dt.UTC))
    assert (oldest["number"][:9], oldest["issue_date"], oldest["due_date"]) == (
        "INV-2025-",
        "2025-12-10",
        "2026-01-09",
    )
    resp = await billing.pay("cust-1", "150.00", reference="no invoice named here")
    assert allocations(resp.json()) == {oldest["invoice_id"]: "100.00", newest["invoice_id"]: "50.00"}
    assert (await billing.invoice(middle["invoice_id"]))["open_amount"] == eur("100.00")
    assert (await billing.invoice(newest["invoice_id"]))["open_amount"] == eur("50.00")


async def test_unapplied_cash_is_applied_to_later_invoices(billing) -> None:
    opened = await billing.client.post("/accounts", json={"customer_id": "cust-1", "currency": "EUR"})
    assert opened.status_code == 201
    prepaid = (await billing.pay("cust-1", "150.00")).json()
    assert prepaid["allocations"] == [] and prepaid["unapplied"] == eur("150.00")

    first = await billing.ship("cust-1", HUNDRED)
    assert (first["status"], first["paid"]) == ("paid", eur("100.00"))
    assert (await billing.account("cust-1"))["unapplied_cash"] == eur("50.00")
    second = await billing.ship("cust-1", HUNDRED)
    assert (second["status"], second["open_amount"]) == ("open", eur("50.00"))
    assert (await billing.account("cust-1"))["unapplied_cash"] == eur("0.00")

    payment = (await billing.client.get(f"/payments/{prepaid['payment_id']}")).json()
    assert allocations(payment) == {first["invoice_id"]: "100.00", second["invoice_id"]: "50.00"}
    assert payment["unapplied"] == eur("0.00")
    types = await billing.event_types()
    assert types.count("backoffice.billing.payment_allocated.v1") == 2
    assert types.count("backoffice.billing.invoice_paid.v1") == 1


async def test_allocations_by_hand_unallocation_and_reallocation(billing) -> None:
    a = await billing.ship("cust-1", HUNDRED)
    b = await billing.ship("cust-1", HUNDRED)
    payment = (await billing.pay("cust-1", "100.00", reference=a["number"])).json()
    pid = payment["payment_id"]

    back = await billing.client.post(
        f"/payments/{pid}/unallocations",
        json={"invoice_id": a["invoice_id"], "amount": eur("40.00"), "reason": "wrong invoice"},
    )
    assert back.status_code == 201, back.text
    assert back.json()["unapplied"] == eur("40.00") and allocations(back.json()) == {a["invoice_id"]: "60.00"}
    a_now = await billing.invoice(a["invoice_id"])
    assert (a_now["status"], a_now["open_amount"]) == ("open", eur("40.00"))  # reopened

    moved = await billing.client.post(
        f"/payments/{pid}/allocations", json={"invoice_id": b["invoice_id"], "amount": eur("40.00")}
    )
    assert moved.status_code == 201, moved.text
    assert allocations(moved.json()) == {a["invoice_id"]: "60.00", b["invoice_id"]: "40.00"}
    assert moved.json()["unapplied"] == eur("0.00")

    re = await billing.client.post(
        f"/payments/{pid}/reallocations",
        json={
            "from_invoice_id": a["invoice_id"],
            "to_invoice_id": b["invoice_id"],
            "amount": eur("60.00"),
            "reason": "customer asked",
        },
    )
    assert re.status_code == 201, re.text
    assert allocations(re.json()) == {b["invoice_id"]: "100.00"}
    assert (await billing.invoice(b["invoice_id"]))["status"] == "paid"
    assert (await billing.invoice(a["invoice_id"]))["open_amount"] == eur("100.00")
    types = await billing.event_types()
    assert types.count("backoffice.billing.payment_unallocated.v1") == 2
    assert types.count("backoffice.billing.payment_allocated.v1") == 2


BAD_AMOUNTS = [
    ({"amount": "24.20", "currency": "USD"}, "amount.currency", "currency-mismatch"),
    (eur("-5.00"), "amount.amount", "amount-not-positive"),
    (eur("0.00"), "amount.amount", "amount-not-positive"),
    (eur("10.005"), "amount.amount", "too-many-decimals"),
    ({"amount": "XL", "currency": "EUR"}, "amount", "value_error"),
    ({"amount": 10.5, "currency": "EUR"}, "amount", "value_error"),
    ({"amount": "10.00", "currency": "XXX"}, "amount", "value_error"),
]


async def test_bad_payments_are_refused_and_nothing_is_written(billing) -> None:
    await billing.ship("cust-1")
    before = await billing.count_events()
    for amount, field, rule in BAD_AMOUNTS:
        resp = await billing.client.post(
            "/payments", json={"customer_id": "cust-1", "amount": amount, "bank_transaction_id": "bt-1"}
        )
        assert resp.status_code == 422, (amount, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule), amount
    assert await billing.count_events() == before
    assert await billing.scalar("SELECT count(*) FROM payments") == 0
    assert (await billing.client.get("/invoices", params={"status": "open"})).json()["items"][0][
        "paid"
    ] == eur("0.00")


async def test_a_bank_transaction_is_posted_once(billing) -> None:
    await billing.ship("cust-1")
    await billing.ship("cust-2")
    assert (await billing.pay("cust-1", "5.00", bank_transaction_id="bt-42")).status_code == 201
    before = await billing.count_events()
    again = await billing.pay("cust-1", "5.00", bank_transaction_id="bt-42")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert (again.json()["field"], again.json()["rule"]) == (
        "bank_transaction_id",
        "duplicate-bank-transaction",
    )
    # Racing posts for two customers (different account locks): the unique constraint decides.
    racing = await asyncio.gather(
        billing.pay("cust-1", "1.00", bank_transaction_id="bt-43"),
        billing.pay("cust-2", "1.00", bank_transaction_id="bt-43"),
    )
    assert sorted(r.status_code for r in racing) == [201, 409]
    assert [r.json()["rule"] for r in racing if r.status_code == 409] == ["duplicate-bank-transaction"]
    assert await billing.count_events() == before + 1  # the one PaymentPosted that won
    assert await billing.scalar("SELECT count(*) FROM payments") == 2


async def test_bad_allocations_are_refused_and_nothing_is_written(billing) -> None:
    a = await billing.ship("cust-1", HUNDRED)
    b = await billing.ship("cust-1", ("B", 1, "20.00", "0"))
    other = await billing.ship("cust-2", HUNDRED)
    pid = (await billing.pay("cust-1", "100.00", reference=a["number"])).json()["payment_id"]
    back = await billing.client.post(
        f"/payments/{pid}/unallocations",
        json={"invoice_id": a["invoice_id"], "amount": eur("30.00"), "reason": "to move"},
    )
    assert back.json()["unapplied"] == eur("30.00")  # A open 30, B open 20, 30 unapplied
    before = await billing.count_events()

    usd = {"amount": "1.00", "currency": "USD"}
    cases = [
        ({"invoice_id": a["invoice_id"], "amount": eur("30.01")}, "amount", "allocation-exceeds-payment"),
        ({"invoice_id": b["invoice_id"], "amount": eur("25.00")}, "amount", "allocation-exceeds-open-amount"),
        (
            {"invoice_id": other["invoice_id"], "amount": eur("1.00")},
            "invoice_id",
            "invoice-of-other-customer",
        ),
        ({"invoice_id": "nope", "amount": eur("1.00")}, "invoice_id", "unknown-invoice"),
        ({"invoice_id": b["invoice_id"], "amount": eur("0")}, "amount.amount", "amount-not-positive"),
        ({"invoice_id": b["invoice_id"], "amount": eur("1.001")}, "amount.amount", "too-many-decimals"),
        ({"invoice_id": b["invoice_id"], "amount": usd}, "amount.currency", "currency-mismatch"),
    ]
    for body, field, rule in cases:
        resp = await billing.client.post(f"/payments/{pid}/allocations", json=body)
        assert resp.status_code == 422, (body, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule), body
    over = await billing.client.post(
        f"/payments/{pid}/unallocations",
        json={"invoice_id": a["invoice_id"], "amount": eur("70.01"), "reason": "too much"},
    )
    assert over.status_code == 422 and over.json()["rule"] == "unallocation-exceeds-allocated"
    same = await billing.client.post(
        f"/payments/{pid}/reallocations",
        json={
            "from_invoice_id": a["invoice_id"],
            "to_invoice_id": a["invoice_id"],
            "amount": eur("1.00"),
            "reason": "x",
        },
    )
    assert same.status_code == 422 and same.json()["rule"] == "same-invoice"
    too_far = await billing.client.post(
        f"/payments/{pid}/reallocations",
        json={
            "from_invoice_id": a["invoice_id"],
            "to_invoice_id": b["invoice_id"],
            "amount": eur("60.00"),
            "reason": "x",
        },
    )  # 60 + 30 unapplied could move, but B has only 20 open
    assert too_far.status_code == 422 and too_far.json()["rule"] == "allocation-exceeds-open-amount"
    unknown = await billing.client.post(
        "/payments/nope/allocations", json={"invoice_id": b["invoice_id"], "amount": eur("1.00")}
    )
    assert unknown.status_code == 404 and unknown.json()["rule"] == "payment-not-found"
    assert await billing.count_events() == before
    assert (await billing.client.get(f"/payments/{pid}")).json()["unapplied"] == eur("30.00")
    assert (await billing.invoice(b["invoice_id"]))["open_amount"] == eur("20.00")


async def test_a_retried_payment_with_the_same_idempotency_key_is_posted_once(billing) -> None:
    await billing.ship("cust-1")
    body = {"customer_id": "cust-1", "amount": eur("10.00"), "bank_transaction_id": "bt-7"}
    first = await billing.client.post("/payments", json=body, headers={"Idempotency-Key": "k-1"})
    retry = await billing.client.post("/payments", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == retry.status_code == 201
    assert first.json() == retry.json()
    assert await billing.scalar("SELECT count(*) FROM payments") == 1
    reused = await billing.client.post(
        "/payments", json={**body, "amount": eur("11.00")}, headers={"Idempotency-Key": "k-1"}
    )
    assert reused.status_code == 409 and reused.json()["rule"] == "idempotency-key-reused"


async def test_payment_roles_and_unknown_customers(billing_svc, billing) -> None:
    await billing.ship("cust-1")
    body = {"customer_id": "cust-1", "amount": eur("10.00"), "bank_transaction_id": "bt-8"}
    for role in (Role.AUDITOR, Role.PARTNER, Role.PAYABLES_CLERK, Role.SUPPORT_AGENT):
        resp = await billing.client.post("/payments", json=body, headers=billing_svc.as_role(role))
        assert resp.status_code == 403, role
    clerk = await billing.client.post("/payments", json=body, headers=billing_svc.as_role(Role.BILLING_CLERK))
    assert clerk.status_code == 201
    pid = clerk.json()["payment_id"]
    assert (
        await billing.client.get(f"/payments/{pid}", headers=billing_svc.as_role(Role.AUDITOR))
    ).status_code == 200
    assert (
        await billing.client.get(f"/payments/{pid}", headers=billing_svc.as_role(Role.PARTNER))
    ).status_code == 403
    assert (await billing.client.get("/payments/nope")).status_code == 404
    before = await billing.count_events()
    stranger = await billing.client.post(
        "/payments", json={**body, "customer_id": "who", "bank_transaction_id": "b"}
    )
    assert stranger.status_code == 404 and stranger.json()["rule"] == "billing-account-not-found"
    extra = await billing.client.post("/payments", json={**body, "bank_transaction_id": "b9", "memo": "x"})
    assert extra.status_code == 422 and extra.json()["field"] == "memo"
    assert await billing.count_events() == before
