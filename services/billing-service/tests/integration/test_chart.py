"""Billing keeps the ledger's chart of accounts and refuses supplier-bill lines on accounts that
are not open expense or asset accounts (``account-not-postable``, naming the line), at entry
and again at approval; the chart arrives over Kafka from ``backoffice.ledger``."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from backoffice_events.catalog import LEDGER
from backoffice_events.catalog.chart import AccountClosed, AccountOpened, AccountType
from backoffice_events.dlq import read_dead_letters
from backoffice_events.envelope import Envelope
from backoffice_events.testing import CloudEventProducer, eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def bill(number: str, *accounts: str) -> dict:
    return {
        "supplier_id": "sup-1",
        "supplier_invoice_number": number,
        "bill_date": "2026-01-10",
        "lines": [
            {"description": f"line on {a}", "expense_account": a, "net": eur("10.00"), "vat_rate": "0.21"}
            for a in accounts
        ],
    }


@pytest.fixture
async def clerk(billing, billing_svc):
    resp = await billing.client.post(
        "/suppliers",
        json={"supplier_id": "sup-1", "name": "Paper & Co", "currency": "EUR", "payment_terms_days": 14},
    )
    assert resp.status_code == 201, resp.text
    return billing_svc.as_role(Role.PAYABLES_CLERK)


async def bills_and_events(billing) -> tuple[int, int]:
    return (
        int(await billing.scalar("SELECT count(*) FROM supplier_bills")),
        await billing.count_events(),
    )


@pytest.mark.parametrize(
    ("account", "why"),
    [
        ("6900", "bad_debt"),  # the bad-debt account: only write-offs post to it
        ("6999", "not in the chart"),  # looks like an expense code, but nobody opened it
        ("4000", "income"),  # an income account
        ("1000", "cash"),  # an asset the posting rules hold (cash)
    ],
)
async def test_a_bill_line_on_an_account_that_is_not_postable_is_refused_naming_the_line(
    billing, clerk, account, why
) -> None:
    before = await bills_and_events(billing)
    resp = await billing.client.post("/supplier-bills", json=bill("S-1", "6100", account), headers=clerk)
    assert resp.status_code == 422, resp.text
    problem = resp.json()
    assert (problem["rule"], problem["field"]) == ("account-not-postable", "lines[1].expense_account")
    assert why in problem["detail"]
    assert await bills_and_events(billing) == before  # nothing half-written


async def test_expense_and_own_asset_accounts_take_bill_lines(billing, clerk) -> None:
    resp = await billing.client.post("/supplier-bills", json=bill("S-2", "6100", "1500"), headers=clerk)
    assert resp.status_code == 201, resp.text


async def test_a_closed_account_is_refused_at_entry_and_again_at_approval(
    billing, billing_svc, clerk
) -> None:
    entered = await billing.client.post("/supplier-bills", json=bill("S-3", "6100", "6200"), headers=clerk)
    assert entered.status_code == 201, entered.text
    await billing.feed_chart(AccountClosed(code="6200", closed_by="acc-1"))

    again = await billing.client.post("/supplier-bills", json=bill("S-4", "6200"), headers=clerk)
    assert again.status_code == 422
    assert (again.json()["rule"], again.json()["field"]) == (
        "account-not-postable",
        "lines[0].expense_account",
    )
    assert "closed" in again.json()["detail"]

    bill_id = entered.json()["bill_id"]
    events = await billing.count_events()
    approved = await billing.client.post(
        f"/supplier-bills/{bill_id}/approve", headers=billing_svc.as_role(Role.APPROVER)
    )
    assert approved.status_code == 422, approved.text
    assert (approved.json()["rule"], approved.json()["field"]) == (
        "account-not-postable",
        "lines[1].expense_account",
    )
    assert await billing.count_events() == events
    status = await billing.client.get(f"/supplier-bills/{bill_id}")
    assert status.json()["status"] == "received"


async def test_the_chart_arrives_from_the_ledger_topic_and_other_ledger_types_are_skipped(
    billing, billing_svc, clerk, kafka_config
) -> None:
    refused = await billing.client.post("/supplier-bills", json=bill("S-5", "7100"), headers=clerk)
    assert refused.json()["rule"] == "account-not-postable"
    # A ledger event type billing has no handler for (a manual entry proposed) comes first.
    async with CloudEventProducer(billing_svc.ctx.kafka) as producer:
        await producer.send(
            LEDGER,
            Envelope(
                id="period-1",
                source="ledger",
                type="backoffice.ledger.journal_entry_proposed.v1",
                subject="manual-entry-1",
                time=billing_svc.clock.now(),
                data={"entry_id": "1"},
                stream_version=1,
                correlation_id="period-1",
            ),
        )
    opened = AccountOpened(code="7100", name="Subcontractors", account_type=AccountType.EXPENSE)
    await billing.produce(opened)

    async def known() -> bool:
        return bool(await billing.scalar("SELECT count(*) FROM ledger_chart WHERE code = '7100'"))

    await eventually(known, timeout=60)
    accepted = await billing.client.post("/supplier-bills", json=bill("S-6", "7100"), headers=clerk)
    assert accepted.status_code == 201, accepted.text
    assert await read_dead_letters(kafka_config, LEDGER) == []
    async with billing_svc.ctx.engine.connect() as conn:
        handled = await conn.execute(
            text("SELECT count(*) FROM processed_events WHERE consumer = 'billing-ledger'")
        )
        assert handled.scalar() == 1  # the chart event; the manual entry was skipped undecoded
