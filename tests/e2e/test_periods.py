"""Closed periods across services: the ledger closes a month, billing learns the lock date
from the ledger's event through Kafka and refuses a payment dated in it; an upstream invoice
dated in the closed month posts on the first open date and keeps its document date; after
a reopening the payment goes through. Manual journal entries need a second person."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from e2e.flows import eur, invoice_for, ok, place_and_ship, receivable, stock_product
from ledger_service.adapters.books import read_books

pytestmark = pytest.mark.integration

FEB_10 = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)


def payment(day: str, bank_id: str) -> dict[str, Any]:
    return {
        "customer_id": "cust-per",
        "amount": eur("10.00"),
        "bank_transaction_id": bank_id,
        "received_on": day,
    }


async def test_a_closed_month_refuses_payments_and_moves_late_invoices(system) -> None:
    billing, ledger = system.billing, system.ledger
    await stock_product(system.order, "PER-1", "10.00", "0.21", 10)
    system.order.clock.at = FEB_10
    accountant = ledger.as_role(Role.ACCOUNTANT)

    closed = await ok(await ledger.client.post("/periods/2026-01/close", headers=accountant))
    assert closed["lock_date"] == "2026-01-31" and closed["by"] == "test-accountant"
    listed = await ok(await ledger.client.get("/periods"))
    assert listed["lock_date"] == "2026-01-31"
    assert {p["period"]: p["status"] for p in listed["periods"]} == {"2026-01": "closed", "2026-02": "open"}

    # A shipment made in January but processed late: its invoice is dated in the closed month.
    system.order.clock.at = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
    _order, shipment = await place_and_ship(system.order, "cust-per", [("PER-1", 1)])
    invoice = await invoice_for(billing, "cust-per", shipment)
    assert invoice["issue_date"] == "2026-01-20"
    system.order.clock.at = FEB_10  # reports default to today
    await eventually(lambda: _receivable_is(ledger, "12.10"), timeout=60)
    async with read_books(ledger.ctx.engine) as conn:
        row = (
            await conn.execute(
                text(
                    "SELECT posted_on, document_date FROM journal_entries"
                    " WHERE event_type LIKE 'backoffice.billing.invoice_issued%'"
                )
            )
        ).one()
    assert (row.posted_on, row.document_date) == (dt.date(2026, 2, 1), dt.date(2026, 1, 20))

    # Billing learns the lock date from the ledger's PeriodClosed through Kafka.
    async def refused() -> bool:
        r = await billing.client.post("/payments", json=payment("2026-01-31", "BANK-PER-1"))
        return (
            r.status_code == 409
            and r.json()["rule"] == "period-closed"
            and r.json()["field"] == "received_on"
        )

    await eventually(refused, timeout=60)
    await ok(await billing.client.post("/payments", json=payment("2026-02-01", "BANK-PER-2")), 201)

    reopened = await ok(
        await ledger.client.post(
            "/periods/2026-01/reopen", headers=accountant, json={"reason": "late bank item"}
        )
    )
    assert reopened["lock_date"] is None

    async def accepted() -> bool:
        r = await billing.client.post("/payments", json=payment("2026-01-31", "BANK-PER-1"))
        return r.status_code == 201

    await eventually(accepted, timeout=60)
    listed = await ok(await ledger.client.get("/periods"))
    january = next(p for p in listed["periods"] if p["period"] == "2026-01")
    assert january["status"] == "open" and january["reopen_reason"] == "late bank item"


async def _receivable_is(ledger: Any, amount: str) -> bool:
    return await receivable(ledger, "cust-per") == Decimal(amount)


async def test_closing_with_a_failing_books_check_is_refused(system) -> None:
    ledger = system.ledger
    system.order.clock.at = FEB_10
    async with ledger.ctx.engine.begin() as conn:
        await conn.execute(text("SELECT set_config('search_path', 'books_1, public', true)"))
        await conn.execute(
            text(
                "INSERT INTO journal_entries (entry_id, event_id, currency, event_type, posted_on,"
                " description) VALUES ('00000000-0000-5000-8000-000000000001', 'broken', 'EUR', 'test',"
                " '2026-01-05', 'x')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO journal_lines (entry_id, line_no, account, currency, debit, credit, posted_on)"
                " VALUES ('00000000-0000-5000-8000-000000000001', 1, '1000', 'EUR', 5, 0, '2026-01-05')"
            )
        )
    r = await ledger.client.post("/periods/2026-01/close", headers=ledger.as_role(Role.ACCOUNTANT))
    assert r.status_code == 409 and r.json()["rule"] == "books-check-failed", r.text
    assert (await ok(await ledger.client.get("/periods")))["lock_date"] is None


def _entry(lines: list[tuple[str, str, str]], day: str = "2026-01-15") -> dict[str, Any]:
    return {
        "date": day,
        "description": "opening balances",
        "lines": [{"account": a, "side": s, "amount": x, "currency": "EUR"} for a, s, x in lines],
    }


async def test_manual_entries_need_a_second_person_and_are_corrected_by_reversal(system) -> None:
    ledger = system.ledger
    accountant, admin = ledger.as_role(Role.ACCOUNTANT), ledger.as_role(Role.ADMIN)
    body = _entry([("1000", "debit", "500.00"), ("4000", "credit", "500.00")])

    for role in (Role.BILLING_CLERK, Role.APPROVER, Role.AUDITOR):
        r = await ledger.client.post("/journal-entries", headers=ledger.as_role(role), json=body)
        assert r.status_code == 403, (role, r.text)
    unbalanced = _entry([("1000", "debit", "500.00"), ("4000", "credit", "499.99")])
    r = await ledger.client.post("/journal-entries", headers=accountant, json=unbalanced)
    assert r.status_code == 422 and r.json()["rule"] == "entry-unbalanced", r.text
    r = await ledger.client.post(
        "/journal-entries", headers=accountant, json=_entry([("1000", "debit", "1"), ("9999", "credit", "1")])
    )
    assert (
        r.status_code == 422
        and r.json()["rule"] == "account-unknown"
        and r.json()["field"] == "lines[1].account"
    )

    proposed = await ok(await ledger.client.post("/journal-entries", headers=accountant, json=body), 201)
    entry_id = proposed["entry_id"]
    assert proposed["status"] == "proposed" and proposed["proposed_by"] == "test-accountant"
    r = await ledger.client.post(f"/journal-entries/{entry_id}/approve", headers=accountant)
    assert r.status_code == 403 and r.json()["rule"] == "approver-is-author", r.text

    approved = await ok(await ledger.client.post(f"/journal-entries/{entry_id}/approve", headers=admin))
    assert approved["status"] == "posted" and approved["approved_by"] == "test-admin"
    cash = await ok(await ledger.client.get("/accounts/1000/balance"))
    assert Decimal(cash["balances"][0]["balance"]) == Decimal("500.00")

    reversed_ = await ok(
        await ledger.client.post(
            f"/journal-entries/{entry_id}/reverse",
            headers=accountant,
            json={"date": "2026-01-20", "reason": "typo"},
        ),
        201,
    )
    assert reversed_["original"]["status"] == "reversed"
    assert reversed_["reversal"]["reverses"] == entry_id
    assert [x["side"] for x in reversed_["reversal"]["lines"]] == ["credit", "debit"]
    cash = await ok(await ledger.client.get("/accounts/1000/balance", params={"as_of": "2026-01-31"}))
    assert all(Decimal(b["balance"]) == 0 for b in cash["balances"])
    check = await ok(await ledger.client.get("/checks/invariants", params={"as_of": "2026-01-31"}))
    assert check["ok"], check["violations"]

    # An entry into a closed period is refused.
    system.order.clock.at = FEB_10
    await ok(await ledger.client.post("/periods/2026-01/close", headers=accountant))
    r = await ledger.client.post("/journal-entries", headers=accountant, json=body)
    assert r.status_code == 409 and r.json()["rule"] == "period-closed" and r.json()["field"] == "date"
