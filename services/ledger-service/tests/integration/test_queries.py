"""Every query endpoint of the ledger over the scenario's books, with bad input and roles."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from ledger_service.adapters.books import read_books
from ledger_service.domain import SEEDED_ACCOUNTS
from ledger_service.service_layer.checks import check_books

pytestmark = pytest.mark.integration

PROBLEM = "application/problem+json"


@pytest_asyncio.fixture
async def books(ledger_svc, feed, probe, scenario):
    """The service with the scenario posted."""
    sent = await feed.send(*scenario.events)

    async def all_taken() -> bool:
        return await probe.taken() == len(sent)

    await eventually(all_taken, timeout=60)
    ledger_svc.extras["sent"] = sent
    return ledger_svc


def assert_problem(resp, status: int, field: str | None, rule: str | None = None) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == PROBLEM
    body = resp.json()
    assert body["status"] == status and body["type"].startswith("https://backoffice.dev/problems/")
    assert body.get("field") == field, body
    if rule is not None:
        assert body["rule"] == rule, body
    return body


async def test_the_chart_lists_the_seeded_accounts_and_those_opened_on_first_use(
    ledger_svc, feed, probe, build
):
    first = (await ledger_svc.client.get("/accounts")).json()
    assert first["next_cursor"] is None
    assert [
        (a["code"], a["name"], a["role"], a["kind"], a["normal_side"], a["subledger"]) for a in first["items"]
    ] == [
        (
            a.code,
            a.name,
            a.role.value,
            a.kind.value,
            a.normal_side.value,
            a.subledger.value if a.subledger else None,
        )
        for a in SEEDED_ACCOUNTS
    ]
    await feed.send(
        build.bill(
            "B-X",
            "S9",
            [build.bill_line(1, "6400", "10.00", "2.10")],
            dt.date(2026, 1, 2),
            dt.date(2026, 2, 1),
        )
    )

    async def opened() -> bool:
        return await probe.taken() == 1

    await eventually(opened, timeout=60)
    codes: list[str] = []
    cursor = None
    while True:
        page = (
            await ledger_svc.client.get(
                "/accounts", params={"limit": 4, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        assert len(page["items"]) <= 4
        codes += [a["code"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert codes == sorted([a.code for a in SEEDED_ACCOUNTS] + ["6400"])
    expense = await ledger_svc.client.get("/accounts/6400/balance")
    assert expense.json()["account"]["role"] == "expense"
    assert expense.json()["balances"][0]["balance"] == "10.00"


async def test_account_balances_at_any_date(books) -> None:
    client = books.client
    cash = (await client.get("/accounts/1000/balance", params={"as_of": "2025-12-31"})).json()
    # 500 (P1) + 300 (P2) - 300 (SP1) by the end of 2025.
    assert cash["balances"] == [
        {"currency": "EUR", "debit": "800.00", "credit": "300.00", "balance": "500.00"}
    ]
    assert cash["as_of"] == "2025-12-31" and cash["account"]["code"] == "1000" and cash["party_id"] is None
    # Credit-normal accounts show their balance positive.
    ap = (await client.get("/accounts/2000/balance")).json()
    assert ap["as_of"] == "2026-01-15"  # the clock's today
    assert ap["balances"][0]["balance"] == "1305.00"
    one = (await client.get("/accounts/2000/balance", params={"party_id": "S2"})).json()
    assert one["balances"][0]["balance"] == "1000.00"
    before = (await client.get("/accounts/1000/balance", params={"as_of": "2025-01-01"})).json()
    assert before["balances"] == []


async def test_customer_and_supplier_balances(books) -> None:
    client = books.client
    c2 = (await client.get("/customers/C2/balance", params={"as_of": "2025-12-20"})).json()
    # Paid 300 on INV-3 (242): 58 unapplied, AR 0, the customer is 58 in credit.
    assert c2 == {
        "customer_id": "C2",
        "as_of": "2025-12-20",
        "balances": [{"currency": "EUR", "receivable": "0.00", "unapplied_cash": "58.00", "net": "-58.00"}],
    }
    nobody = (await client.get("/customers/C-unknown/balance")).json()
    assert nobody["balances"] == []
    s1 = (await client.get("/suppliers/S1/balance", params={"as_of": "2025-11-30"})).json()
    assert s1["balances"] == [{"currency": "EUR", "payable": "605.00"}]


async def test_aging_lists_the_open_items(books) -> None:
    body = (await books.client.get("/aging/receivables", params={"as_of": "2026-01-15"})).json()
    assert body["party_kind"] == "customer"
    items = {i["item_id"]: (i["bucket"], i["days_past_due"], i["open_amount"]) for i in body["items"]}
    assert items == {
        "INV-1": ("61-90", 76, "710.00"),
        "INV-2": ("1-30", 15, "484.00"),
        "INV-4": ("current", 0, "63.00"),
    }
    assert {i["reference"] for i in body["items"]} == {"INV-INV-1", "INV-INV-2", "INV-INV-4"}
    payables = (await books.client.get("/aging/payables")).json()
    assert payables["as_of"] == "2026-01-15" and payables["party_kind"] == "supplier"
    assert {i["item_id"] for i in payables["items"]} == {"B1", "B2"}
    # Before anything was issued there is nothing to age.
    empty = (await books.client.get("/aging/receivables", params={"as_of": "2025-01-01"})).json()
    assert empty["parties"] == [] and empty["totals"] == [] and empty["items"] == []


async def test_trial_balance_at_a_past_date(books) -> None:
    tb = (await books.client.get("/trial-balance", params={"as_of": "2025-10-31"})).json()
    # Only INV-5 and INV-1 by then.
    assert tb["balanced"] is True
    assert [(r["account"], r["name"], r["debit"], r["credit"]) for r in tb["rows"]] == [
        ("1100", "Accounts receivable (control)", "1573.00", "0.00"),
        ("2200", "VAT output (payable)", "0.00", "273.00"),
        ("4000", "Revenue", "0.00", "1300.00"),
    ]
    assert tb["totals"] == [{"currency": "EUR", "debit": "1573.00", "credit": "1573.00", "net": "0.00"}]


async def test_statements_carry_a_running_balance(books) -> None:
    client = books.client
    c1 = (
        await client.get("/customers/C1/statement", params={"from": "2025-11-01", "to": "2026-01-15"})
    ).json()
    assert (
        c1["party_kind"] == "customer" and c1["from_date"] == "2025-11-01" and c1["to_date"] == "2026-01-15"
    )
    (eur,) = c1["statements"]
    assert eur["opening"] == "1210.00" and eur["closing"] == "1194.00"
    assert [(line["posted_on"], line["debit"], line["credit"], line["balance"]) for line in eur["lines"]] == [
        ("2025-11-10", "0.00", "500.00", "710.00"),
        ("2025-12-01", "605.00", "0.00", "1315.00"),
        ("2026-01-08", "0.00", "121.00", "1194.00"),
    ]
    # AR and unapplied cash together: the closing balance is what C2 owes on balance.
    c2 = (await client.get("/customers/C2/statement")).json()
    (eur,) = c2["statements"]
    assert eur["opening"] == "0.00"
    assert [line["balance"] for line in eur["lines"]] == [
        "242.00",
        "-58.00",
        "63.00",
        "63.00",
        "38.80",
        "63.00",
    ]
    assert eur["closing"] == "63.00"
    s1 = (await client.get("/suppliers/S1/statement", params={"to": "2025-12-31"})).json()
    (eur,) = s1["statements"]
    assert [(line["debit"], line["credit"], line["balance"]) for line in eur["lines"]] == [
        ("0.00", "605.00", "605.00"),
        ("300.00", "0.00", "305.00"),
    ]
    assert "Supplier bill B1" in eur["lines"][0]["description"]
    quiet = (await client.get("/suppliers/S1/statement", params={"from": "2026-01-01"})).json()
    assert quiet["statements"] == [{"currency": "EUR", "opening": "305.00", "closing": "305.00", "lines": []}]


async def test_entries_by_account_page_with_a_cursor_and_each_names_its_event(books) -> None:
    client = books.client
    seen: list[dict] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/accounts/1100/entries", params=params)).json()
        assert len(page["items"]) <= 3
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # INV-1..6 debits; P1, P2, P3 (allocated part), allocation, credit note, write-off credits.
    assert len(seen) == 12
    assert len({(s["entry_id"], s["line_no"]) for s in seen}) == 12
    assert [s["posted_on"] for s in seen] == sorted(s["posted_on"] for s in seen)
    assert all(s["account"] == "1100" and s["party_kind"] == "customer" for s in seen)

    first = seen[0]  # INV-5, issued 2025-08-01
    entry = (await client.get(f"/entries/{first['entry_id']}")).json()
    sent = {e.id: e for e in books.extras["sent"]}
    source = sent[entry["event_id"]]
    assert entry["event"]["id"] == source.id
    assert entry["event"]["type"] == "backoffice.billing.invoice_issued.v1" == entry["event_type"]
    assert entry["event"]["data"]["invoice_id"] == "INV-5"
    assert entry["event"]["subject"] == "INV-5" and entry["event"]["source"] == "billing"
    assert dt.datetime.fromisoformat(entry["event"]["time"]) == source.time
    assert entry["posted_on"] == "2025-08-01" and entry["currency"] == "EUR"
    assert [(line["account"], line["debit"], line["credit"]) for line in entry["lines"]] == [
        ("1100", "363.00", "0.00"),
        ("4000", "0.00", "300.00"),
        ("2200", "0.00", "63.00"),
    ]


async def test_bad_query_input_is_a_problem_naming_the_field(books) -> None:
    client = books.client
    for path in (
        "/trial-balance",
        "/aging/receivables",
        "/aging/payables",
        "/customers/C1/balance",
        "/suppliers/S1/balance",
        "/accounts/1100/balance",
        "/checks/invariants",
    ):
        assert_problem(await client.get(path, params={"as_of": "2026-13-01"}), 422, "as_of")
        assert_problem(await client.get(path, params={"as_of": "yesterday"}), 422, "as_of")
    for path in ("/customers/C1/statement", "/suppliers/S1/statement"):
        assert_problem(await client.get(path, params={"from": "2026-02-30"}), 422, "from")
        assert_problem(await client.get(path, params={"to": "15.01.2026"}), 422, "to")
        assert_problem(
            await client.get(path, params={"from": "2026-01-10", "to": "2026-01-01"}),
            422,
            "from",
            "period-inverted",
        )
    assert_problem(await client.get("/accounts/9999/balance"), 404, "code", "account-unknown")
    assert_problem(await client.get("/accounts/9999/entries"), 404, "code", "account-unknown")
    assert_problem(
        await client.get("/accounts/4000/balance", params={"party_id": "C1"}),
        422,
        "party_id",
        "account-has-no-subledger",
    )
    assert_problem(
        await client.get("/accounts/1100/entries", params={"cursor": "!!nope"}),
        422,
        "cursor",
        "cursor-invalid",
    )
    assert_problem(
        await client.get("/accounts", params={"cursor": "e30"}), 422, "cursor", "cursor-invalid"
    )  # "{}"
    assert_problem(await client.get("/accounts/1100/entries", params={"limit": 0}), 422, "limit")
    assert_problem(await client.get("/accounts/1100/entries", params={"limit": 501}), 422, "limit")
    assert_problem(await client.get("/entries/not-a-uuid"), 422, "entry_id")
    assert_problem(await client.get(f"/entries/{uuid.uuid4()}"), 404, "entry_id", "entry-unknown")


async def test_roles(books) -> None:
    client = books.client
    reads = [
        "/accounts",
        "/trial-balance",
        "/aging/receivables",
        "/customers/C1/balance",
        "/rebuild/status",
        "/checks/invariants",
    ]
    for role in (Role.BILLING_CLERK, Role.PAYABLES_CLERK, Role.APPROVER, Role.AUDITOR, Role.ADMIN):
        for path in reads:
            assert (await client.get(path, headers=books.as_role(role))).status_code == 200, (role, path)
    for role in (Role.ORDER_CLERK, Role.SALES_REP, Role.SUPPORT_AGENT, Role.PARTNER):
        resp = await client.get("/trial-balance", headers=books.as_role(role))
        assert resp.status_code == 403 and resp.headers["content-type"] == PROBLEM
    assert (await client.get("/trial-balance", headers={"X-API-Key": ""})).status_code == 401
    for role in (Role.AUDITOR, Role.BILLING_CLERK):
        assert (await client.post("/rebuild", headers=books.as_role(role))).status_code == 403


async def test_invariant_check_reports_what_is_off_and_sets_the_metric(books) -> None:
    client = books.client
    assert (await client.get("/checks/invariants")).json()["ok"] is True
    assert 'backoffice_ledger_invariants_ok{service="ledger"} 1.0' in (await client.get("/metrics")).text

    # Journal lines are immutable ...
    async with read_books(books.ctx.engine) as conn:
        entry_id = await conn.scalar(text("SELECT entry_id FROM journal_lines LIMIT 1"))
    with pytest.raises(DBAPIError, match="immutable"):
        async with books.ctx.engine.begin() as conn:
            await conn.execute(text("SELECT set_config('search_path', 'books_1, public', true)"))
            await conn.execute(
                text("UPDATE journal_lines SET debit = debit + 1 WHERE entry_id = :e"), {"e": entry_id}
            )
    # ... so tamper by adding a stray line to an entry: it no longer balances.
    async with books.ctx.engine.begin() as conn:
        await conn.execute(text("SELECT set_config('search_path', 'books_1, public', true)"))
        await conn.execute(
            text(
                "INSERT INTO journal_lines (entry_id, line_no, account, party_kind, party_id, currency,"
                " debit, credit, posted_on)"
                " VALUES (:e, 99, '1100', 'customer', 'C9', 'EUR', 5, 0, '2026-01-01')"
            ),
            {"e": entry_id},
        )
    resp = (await client.get("/checks/invariants")).json()
    assert resp["ok"] is False
    text_of = "\n".join(resp["violations"])
    assert f"entry {entry_id} is unbalanced in EUR" in text_of
    assert "trial balance in EUR does not net to zero: off by 5.00 EUR" in text_of
    assert "AR of customer C9 in EUR is 5.00 EUR but their open invoices amount to 0.00 EUR" in text_of
    assert 'backoffice_ledger_invariants_ok{service="ledger"} 0.0' in (await client.get("/metrics")).text
    # The same check for the CLI; before the stray line's date all is well.
    assert await check_books(books.ctx.engine, dt.date(2026, 1, 15)) == resp["violations"]
    assert await check_books(books.ctx.engine, dt.date(2025, 12, 31)) == []
