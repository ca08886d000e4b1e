"""Procure to pay: suppliers, bills entered by one person and approved by another, rejections,
payments of single bills and payment runs; bad input refused with nothing written."""

import pytest

from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def bill_body(number: str = "SUP-INV-1", supplier_id: str = "sup-1", **kw) -> dict:
    return {
        "supplier_id": supplier_id,
        "supplier_invoice_number": number,
        "bill_date": "2026-01-10",
        "lines": [
            {"description": "Paper", "expense_account": "6100", "net": eur("100.00"), "vat_rate": "0.21"},
            {"description": "Toner", "expense_account": "6100", "net": eur("19.99"), "vat_rate": "0.21"},
        ],
        **kw,
    }


@pytest.fixture
def roles(billing_svc):
    return {role: billing_svc.as_role(role) for role in Role}


async def add_supplier(billing, roles, supplier_id: str = "sup-1", terms: int = 14) -> dict:
    resp = await billing.client.post(
        "/suppliers",
        json={
            "supplier_id": supplier_id,
            "name": "Paper & Co",
            "currency": "EUR",
            "payment_terms_days": terms,
        },
        headers=roles[Role.PAYABLES_CLERK],
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def enter(billing, roles, **kw) -> dict:
    resp = await billing.client.post(
        "/supplier-bills", json=bill_body(**kw), headers=roles[Role.PAYABLES_CLERK]
    )
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def test_suppliers_are_registered_and_read(billing, roles) -> None:
    supplier = await add_supplier(billing, roles)
    assert supplier == {
        "supplier_id": "sup-1",
        "name": "Paper & Co",
        "currency": "EUR",
        "payment_terms_days": 14,
    }
    got = await billing.client.get("/suppliers/sup-1", headers=roles[Role.APPROVER])
    assert got.status_code == 200 and got.json() == supplier
    generated = await billing.client.post("/suppliers", json={"name": "Ink Ltd", "currency": "EUR"})
    assert generated.status_code == 201 and generated.json()["supplier_id"].startswith("sup-")
    before = await billing.count_events()
    duplicate = await billing.client.post(
        "/suppliers", json={"supplier_id": "sup-1", "name": "X", "currency": "EUR"}
    )
    assert duplicate.status_code == 409 and duplicate.json()["rule"] == "duplicate-supplier"
    unknown_currency = await billing.client.post("/suppliers", json={"name": "X", "currency": "ABC"})
    assert unknown_currency.status_code == 422 and unknown_currency.json()["rule"] == "unknown-currency"
    blank = await billing.client.post("/suppliers", json={"name": "  ", "currency": "EUR"})
    assert blank.status_code == 422 and blank.json()["rule"] == "name-required"
    as_billing_clerk = await billing.client.post(
        "/suppliers", json={"name": "X", "currency": "EUR"}, headers=roles[Role.BILLING_CLERK]
    )
    assert as_billing_clerk.status_code == 403
    assert await billing.count_events() == before
    missing = await billing.client.get("/suppliers/nope")
    assert missing.status_code == 404 and missing.json()["rule"] == "supplier-not-found"
    assert (await billing.client.get("/suppliers/sup-1", headers=roles[Role.AUDITOR])).status_code == 200


async def test_a_bill_is_entered_by_one_person_and_approved_by_another(billing, roles) -> None:
    await add_supplier(billing, roles)
    bill = await enter(billing, roles)
    assert (bill["status"], bill["entered_by"], bill["due_date"]) == (
        "received",
        "test-payables_clerk",
        "2026-01-24",
    )
    assert [(line["vat"], line["gross"]) for line in bill["lines"]] == [
        (eur("21.00"), eur("121.00")),
        (eur("4.20"), eur("24.19")),
    ]
    assert (bill["net"], bill["vat"], bill["gross"]) == (eur("119.99"), eur("25.20"), eur("145.19"))

    as_clerk = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/approve", headers=roles[Role.PAYABLES_CLERK]
    )
    assert as_clerk.status_code == 403
    stale = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/approve", headers={**roles[Role.APPROVER], "If-Match": 'W/"7"'}
    )
    assert stale.status_code == 409 and stale.json()["rule"] == "version-mismatch"
    approved = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/approve", headers={**roles[Role.APPROVER], "If-Match": 'W/"1"'}
    )
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approved_by"], approved.json()["approved_on"]) == (
        "approved",
        "test-approver",
        "2026-01-15",
    )
    assert approved.headers["ETag"] == 'W/"2"'
    got = await billing.client.get(f"/supplier-bills/{bill['bill_id']}", headers=roles[Role.AUDITOR])
    assert got.status_code == 200 and got.json()["status"] == "approved"
    twice = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/approve", headers=roles[Role.APPROVER]
    )
    assert twice.status_code == 422 and twice.json()["rule"] == "bill-not-awaiting-approval"
    assert (await billing.client.get("/supplier-bills/nope")).status_code == 404
    assert await billing.event_types() == [
        "backoffice.payables.supplier_registered.v1",
        "backoffice.payables.bill_received.v1",
        "backoffice.payables.bill_approved.v1",
    ]


async def test_approving_your_own_bill_is_refused_and_nothing_is_written(billing, roles) -> None:
    await add_supplier(billing, roles)
    own = await billing.client.post("/supplier-bills", json=bill_body())  # entered by the admin
    assert own.status_code == 201 and own.json()["entered_by"] == "test-admin"
    before = await billing.count_events()
    resp = await billing.client.post(f"/supplier-bills/{own.json()['bill_id']}/approve")
    assert resp.status_code == 403
    assert resp.headers["content-type"] == "application/problem+json"
    assert (resp.json()["field"], resp.json()["rule"]) == ("approved_by", "approver-is-enterer")
    assert await billing.count_events() == before
    assert (await billing.client.get(f"/supplier-bills/{own.json()['bill_id']}")).json()[
        "status"
    ] == "received"


async def test_duplicate_supplier_invoice_numbers_and_bad_bills_are_refused(billing, roles) -> None:
    await add_supplier(billing, roles)
    await add_supplier(billing, roles, "sup-2")
    await enter(billing, roles, number="INV-7")
    before = await billing.count_events()
    for number in ("INV-7", " inv-7 "):
        dup = await billing.client.post("/supplier-bills", json=bill_body(number=number))
        assert dup.status_code == 409, dup.text
        assert dup.headers["content-type"] == "application/problem+json"
        assert (dup.json()["field"], dup.json()["rule"]) == (
            "supplier_invoice_number",
            "duplicate-supplier-invoice-number",
        )
    cases = [
        (bill_body(supplier_id="nope"), "supplier_id", "unknown-supplier"),
        (bill_body(number="N2", lines=[]), "lines", "no-lines"),
        (bill_body(number="N3", due_date="2026-01-01"), "due_date", "due-before-bill-date"),
        (
            bill_body(
                number="N4", lines=[{**bill_body()["lines"][0], "net": {"amount": "1", "currency": "USD"}}]
            ),
            "lines[0].net.currency",
            "currency-mismatch",
        ),
        (
            bill_body(number="N5", lines=[{**bill_body()["lines"][0], "net": eur("1.001")}]),
            "lines[0].net.amount",
            "too-many-decimals",
        ),
        (
            bill_body(number="N6", lines=[{**bill_body()["lines"][0], "net": eur("-1.00")}]),
            "lines[0].net.amount",
            "amount-not-positive",
        ),
        (
            bill_body(number="N7", lines=[{**bill_body()["lines"][0], "vat_rate": "1.5"}]),
            "lines[0].vat_rate",
            "vat-rate-out-of-range",
        ),
    ]
    for body, field, rule in cases:
        resp = await billing.client.post("/supplier-bills", json=body)
        assert resp.status_code == 422, resp.text
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule)
    as_approver = await billing.client.post(
        "/supplier-bills", json=bill_body(number="N8"), headers=roles[Role.APPROVER]
    )
    assert as_approver.status_code == 403
    assert await billing.count_events() == before
    # The same number from another supplier is another invoice.
    assert (
        await billing.client.post("/supplier-bills", json=bill_body(number="INV-7", supplier_id="sup-2"))
    ).status_code == 201


async def test_rejected_and_unapproved_bills_are_never_paid(billing, roles) -> None:
    await add_supplier(billing, roles)
    received = await enter(billing, roles, number="R-1")
    rejected = await enter(billing, roles, number="R-2")
    no_reason = await billing.client.post(
        f"/supplier-bills/{rejected['bill_id']}/reject", json={}, headers=roles[Role.APPROVER]
    )
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    done = await billing.client.post(
        f"/supplier-bills/{rejected['bill_id']}/reject",
        json={"reason": "not ours"},
        headers=roles[Role.APPROVER],
    )
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["rejected_by"], done.json()["rejection_reason"]) == (
        "rejected",
        "test-approver",
        "not ours",
    )
    before = await billing.count_events()
    for bill in (received, rejected):
        resp = await billing.client.post(
            f"/supplier-bills/{bill['bill_id']}/payment", headers=roles[Role.PAYABLES_CLERK]
        )
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == ("status", "bill-not-approved")
    approve_rejected = await billing.client.post(
        f"/supplier-bills/{rejected['bill_id']}/approve", headers=roles[Role.APPROVER]
    )
    assert (
        approve_rejected.status_code == 422
        and approve_rejected.json()["rule"] == "bill-not-awaiting-approval"
    )
    run = await billing.client.post(
        "/payment-runs", json={"pay_by": "2026-12-31"}, headers=roles[Role.PAYABLES_CLERK]
    )
    assert run.status_code == 201 and run.json()["payments"] == []
    assert await billing.count_events() == before


async def test_an_approved_bill_is_paid_once(billing, roles) -> None:
    await add_supplier(billing, roles)
    bill = await enter(billing, roles)
    await billing.client.post(f"/supplier-bills/{bill['bill_id']}/approve", headers=roles[Role.APPROVER])
    as_approver = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/payment", headers=roles[Role.APPROVER]
    )
    assert as_approver.status_code == 403
    paid = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/payment", headers=roles[Role.PAYABLES_CLERK]
    )
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["paid_on"], paid.json()["payment_run_id"]) == (
        "paid",
        "2026-01-15",
        None,
    )
    before = await billing.count_events()
    again = await billing.client.post(
        f"/supplier-bills/{bill['bill_id']}/payment", headers=roles[Role.PAYABLES_CLERK]
    )
    assert again.status_code == 409 and again.json()["rule"] == "bill-already-paid"
    assert await billing.count_events() == before


async def test_a_payment_run_pays_the_approved_bills_due_by_its_date(billing, roles) -> None:
    await add_supplier(billing, roles, terms=14)
    due_soon = await enter(billing, roles, number="B-1", due_date="2026-01-20")
    due_later = await enter(billing, roles, number="B-2", due_date="2026-02-20")
    due_on_the_day = await enter(billing, roles, number="B-3", due_date="2026-01-31")
    not_approved = await enter(billing, roles, number="B-4", due_date="2026-01-12")
    for bill in (due_soon, due_later, due_on_the_day):
        ok = await billing.client.post(
            f"/supplier-bills/{bill['bill_id']}/approve", headers=roles[Role.APPROVER]
        )
        assert ok.status_code == 200

    as_approver = await billing.client.post(
        "/payment-runs", json={"pay_by": "2026-01-31"}, headers=roles[Role.APPROVER]
    )
    assert as_approver.status_code == 403
    run = await billing.client.post(
        "/payment-runs",
        json={"pay_by": "2026-01-31"},
        headers={**roles[Role.PAYABLES_CLERK], "Idempotency-Key": "run-jan"},
    )
    assert run.status_code == 201, run.text
    body = run.json()
    assert (body["pay_by"], body["paid_on"]) == ("2026-01-31", "2026-01-15")
    assert [p["bill_id"] for p in body["payments"]] == [due_soon["bill_id"], due_on_the_day["bill_id"]]
    assert [p["amount"] for p in body["payments"]] == [eur("145.19"), eur("145.19")]
    retried = await billing.client.post(
        "/payment-runs",
        json={"pay_by": "2026-01-31"},
        headers={**roles[Role.PAYABLES_CLERK], "Idempotency-Key": "run-jan"},
    )
    assert retried.json() == body
    paid = await billing.client.get(f"/supplier-bills/{due_soon['bill_id']}")
    assert (paid.json()["status"], paid.json()["payment_run_id"]) == ("paid", body["payment_run_id"])

    again = await billing.client.post(
        "/payment-runs", json={"pay_by": "2026-01-31"}, headers=roles[Role.PAYABLES_CLERK]
    )
    assert again.json()["payments"] == []
    february = await billing.client.post(
        "/payment-runs", json={"pay_by": "2026-02-28"}, headers=roles[Role.PAYABLES_CLERK]
    )
    assert [p["bill_id"] for p in february.json()["payments"]] == [due_later["bill_id"]]
    assert (await billing.event_types()).count("backoffice.payables.payment_made.v1") == 3
    assert (await billing.client.get(f"/supplier-bills/{not_approved['bill_id']}")).json()[
        "status"
    ] == "received"
    bad = await billing.client.post("/payment-runs", json={"pay_by": "soon"})
    assert bad.status_code == 422 and bad.json()["field"] == "pay_by"


async def test_bills_are_listed_by_status_and_supplier(billing, roles) -> None:
    await add_supplier(billing, roles)
    await add_supplier(billing, roles, "sup-2")
    bills = [await enter(billing, roles, number=f"L-{i}") for i in range(3)]
    other = await enter(billing, roles, number="L-9", supplier_id="sup-2")
    await billing.client.post(f"/supplier-bills/{bills[1]['bill_id']}/approve", headers=roles[Role.APPROVER])

    page = (
        await billing.client.get("/supplier-bills", params={"limit": 2}, headers=roles[Role.APPROVER])
    ).json()
    assert [b["bill_id"] for b in page["items"]] == [bills[0]["bill_id"], bills[1]["bill_id"]]
    rest = (
        await billing.client.get("/supplier-bills", params={"limit": 2, "cursor": page["next_cursor"]})
    ).json()
    assert [b["bill_id"] for b in rest["items"]] == [bills[2]["bill_id"], other["bill_id"]]
    assert rest["next_cursor"] is None
    approved = (await billing.client.get("/supplier-bills", params={"status": "approved"})).json()["items"]
    assert [b["bill_id"] for b in approved] == [bills[1]["bill_id"]]
    of_sup2 = (await billing.client.get("/supplier-bills", params={"supplier_id": "sup-2"})).json()["items"]
    assert [b["bill_id"] for b in of_sup2] == [other["bill_id"]]
    assert (await billing.client.get("/supplier-bills", headers=roles[Role.BILLING_CLERK])).status_code == 403
    assert (await billing.client.get("/supplier-bills", headers=roles[Role.AUDITOR])).status_code == 200
