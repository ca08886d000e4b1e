"""The ledger's chart of accounts on the real stack: published once, kept over HTTP by
accountants, closing refused for system accounts and accounts with a balance; and every event
the ledger dead-letters (an undeclared type too) fails the books check until it posts."""

from __future__ import annotations

import asyncio
import datetime
import uuid

import pytest
from sqlalchemy import text

from backoffice_events.catalog.topics import BILLING, PAYABLES
from backoffice_events.dlq import read_dead_letters, replay_dead_letters
from backoffice_events.envelope import Envelope
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from ledger_service.domain.chart import default_chart_events
from ledger_service.service_layer.chart import publish_default_chart

pytestmark = pytest.mark.integration
dt = datetime.date


async def test_the_default_chart_is_published_exactly_once(ledger_svc) -> None:
    # The worker published it on start; more replicas starting together publish nothing.
    again = await asyncio.gather(*(publish_default_chart(ledger_svc.ctx) for _ in range(4)))
    assert again == [False] * 4
    async with ledger_svc.ctx.engine.connect() as conn:
        types = (await conn.execute(text("SELECT type FROM events WHERE stream_id = 'chart'"))).scalars()
        assert list(types) == [e.cloud_type() for e in default_chart_events()]
    chart = (await ledger_svc.client.get("/chart")).json()["items"]
    assert {a["code"]: (a["account_type"], a["role"]) for a in chart}["6900"] == ("expense", "bad_debt")
    assert {a["code"] for a in chart} == {e.code for e in default_chart_events()}


async def test_accountants_open_and_close_accounts_within_the_rules(ledger_svc, feed, probe, build) -> None:
    accountant = ledger_svc.as_role(Role.ACCOUNTANT)
    client = ledger_svc.client
    body = {"code": "6600", "name": "Travel", "account_type": "expense"}
    forbidden = await client.post("/accounts", json=body, headers=ledger_svc.as_role(Role.BILLING_CLERK))
    assert forbidden.status_code == 403
    opened = await client.post("/accounts", json=body, headers=accountant)
    assert opened.status_code == 201, opened.text
    assert opened.json() == {**body, "role": None, "status": "open"}
    twice = await client.post("/accounts", json=body, headers=accountant)
    assert (twice.status_code, twice.json()["rule"]) == (409, "account-exists")
    bad = await client.post("/accounts", json={**body, "code": "66"}, headers=accountant)
    assert (bad.status_code, bad.json()["field"], bad.json()["rule"]) == (422, "code", "account-code-invalid")

    system = await client.post("/accounts/1000/close", headers=accountant)
    assert (system.status_code, system.json()["rule"]) == (422, "account-is-system")

    # A bill on 6100 gives it a balance; one on the bookkeeper's asset account 1500 posts too.
    lines = [build.bill_line(1, "6100", "10.00", "2.10"), build.bill_line(2, "1500", "50.00", "10.50")]
    await feed.send(build.bill("B-1", "SP", lines, dt(2026, 1, 2), dt(2026, 2, 1)))
    await eventually(lambda: _taken(probe, 1), timeout=60)
    busy = await client.post("/accounts/6100/close", headers=accountant)
    assert (busy.status_code, busy.json()["field"], busy.json()["rule"]) == (
        422,
        "code",
        "account-has-balance",
    )

    closed = await client.post("/accounts/6600/close", headers=accountant)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    closed_again = await client.post("/accounts/6600/close", headers=accountant)
    assert (closed_again.status_code, closed_again.json()["rule"]) == (409, "account-closed")
    unknown = await client.post("/accounts/6700/close", headers=accountant)
    assert (unknown.status_code, unknown.json()["rule"]) == (404, "account-not-found")
    balance = (await client.get("/accounts/1500/balance")).json()
    assert balance["account"]["name"] == "Equipment"
    assert (await client.get("/checks/invariants")).json()["ok"] is True


async def _taken(probe, count: int) -> bool:
    return await probe.taken() == count


async def test_an_undeclared_type_is_dead_lettered_and_fails_the_books_check(
    ledger_svc, feed, probe, build, kafka_config
) -> None:
    late_fee = Envelope(
        id=str(uuid.uuid4()),
        source="billing",
        type="backoffice.billing.late_fee_charged.v1",
        subject="INV-1",
        time=datetime.datetime(2026, 1, 15, 8, 0, tzinfo=datetime.UTC),
        data={"invoice_id": "INV-1", "fee": {"amount": "5.00", "currency": "EUR"}},
        stream_version=2,
        correlation_id="late-fee",
    )
    # A bill on an account nobody opened yet: refused now, posted once the account exists.
    early = build.envelope(
        build.bill("B-2", "SP", [build.bill_line(1, "1600", "10.00", "2.10")], dt(2026, 1, 2), dt(2026, 2, 1))
    )
    marker = build.envelope(build.invoice("INV-M", "CM", "10.00", "2.10", dt(2026, 1, 3), dt(2026, 2, 2)))
    await feed.send(late_fee, early, marker)
    await eventually(lambda: _taken(probe, 1), timeout=60)

    async def listed() -> list:
        check = (await ledger_svc.client.get("/checks/invariants")).json()
        return check["dead_letters"] if len(check["dead_letters"]) == 2 else []

    letters = {d["event_id"]: d for d in await eventually(listed, timeout=60)}
    assert letters[late_fee.id]["event_type"] == "backoffice.billing.late_fee_charged.v1"
    assert "unknown event type" in letters[late_fee.id]["reason"]
    assert "expense-account-invalid" in letters[early.id]["reason"]
    check = (await ledger_svc.client.get("/checks/invariants")).json()
    assert check["ok"] is False
    assert any(late_fee.id in v and v.startswith("books-incomplete: ") for v in check["violations"])
    assert [d.event_id for d in await read_dead_letters(kafka_config, BILLING)] == [late_fee.id]

    # The account is opened and the bill replayed: it posts and leaves the list.
    opened = await ledger_svc.client.post(
        "/accounts",
        json={"code": "1600", "name": "Tools", "account_type": "asset"},
        headers=ledger_svc.as_role(Role.ACCOUNTANT),
    )
    assert opened.status_code == 201, opened.text
    assert await replay_dead_letters(kafka_config, PAYABLES) == 1
    await eventually(lambda: _taken(probe, 2), timeout=60)

    async def only_late_fee() -> bool:
        check = (await ledger_svc.client.get("/checks/invariants")).json()
        return [d["event_id"] for d in check["dead_letters"]] == [late_fee.id]

    await eventually(only_late_fee, timeout=30)
