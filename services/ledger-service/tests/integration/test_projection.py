"""The ledger consumer against the real Kafka and PostgreSQL: a whole scenario posted from
CloudEvents, duplicates posted once, poisoned events dead-lettered while later ones post."""

from __future__ import annotations

import datetime

import pytest

from backoffice_events.catalog.topics import BILLING, PAYABLES
from backoffice_events.dlq import read_dead_letters
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration

dt = datetime.date


async def _all_taken(probe, count: int) -> None:
    async def check() -> bool:
        return await probe.taken() == count

    await eventually(check, timeout=60)


async def test_the_scenario_posts_the_expected_books(ledger_svc, feed, probe, scenario) -> None:
    await feed.send(*scenario.events)
    await _all_taken(probe, len(scenario.events))
    client = ledger_svc.client

    for day, expected in scenario.ar.items():
        for customer, owed in expected.items():
            resp = await client.get(f"/customers/{customer}/balance", params={"as_of": day.isoformat()})
            assert resp.status_code == 200, resp.text
            body = resp.json()
            (eur,) = body["balances"]
            assert eur["receivable"] == owed, (day, customer, body)
            # The AR subledger seen through the control account says the same.
            sub = await client.get(
                "/accounts/1100/balance", params={"as_of": day.isoformat(), "party_id": customer}
            )
            assert sub.json()["balances"][0]["balance"] == owed
    for customer, held in scenario.unapplied[scenario.today].items():
        body = (await client.get(f"/customers/{customer}/balance")).json()
        assert body["balances"][0]["unapplied_cash"] == held
    for day, expected in scenario.ap.items():
        for supplier, owed in expected.items():
            body = (
                await client.get(f"/suppliers/{supplier}/balance", params={"as_of": day.isoformat()})
            ).json()
            assert body["balances"] == [{"currency": "EUR", "payable": owed}], (day, supplier)

    for day in (scenario.today, scenario.earlier):
        tb = (await client.get("/trial-balance", params={"as_of": day.isoformat()})).json()
        assert tb["balanced"] is True
        assert [t["net"] for t in tb["totals"]] == ["0.00"]
        checks = (await client.get("/checks/invariants", params={"as_of": day.isoformat()})).json()
        assert checks == {"as_of": day.isoformat(), "ok": True, "violations": [], "dead_letters": []}

        for path, expected in (
            ("/aging/receivables", scenario.receivables_aging[day]),
            ("/aging/payables", scenario.payables_aging[day]),
        ):
            aging = (await client.get(path, params={"as_of": day.isoformat()})).json()
            assert {p["party_id"]: p["buckets"] for p in aging["parties"]} == expected["parties"], (path, day)
            assert [t["buckets"] for t in aging["totals"]] == [expected["total"]], (path, day)

    # Account-level figures of the whole scenario.
    tb = (await client.get("/trial-balance")).json()
    nets = {row["account"]: row["net"] for row in tb["rows"]}
    assert nets == {
        "1000": "365.80",  # cash: 500 + 300 - 24.20 + 100 - 300 - 210
        "1100": "1257.00",  # AR: 1194 + 63
        "1400": "315.00",  # VAT input
        "2000": "-1305.00",  # AP: 305 + 1000
        "2100": "-39.50",  # unapplied cash of C3
        "2200": "-426.30",  # VAT output less the credit notes' VAT
        "4000": "-2150.00",  # revenue
        "4100": "120.00",  # sales returns
        "6100": "400.00",
        "6200": "100.00",
        "6300": "1000.00",
        "6900": "363.00",  # bad debt
    }
    # Expense accounts were opened from the bill lines.
    codes = [a["code"] for a in (await client.get("/accounts")).json()["items"]]
    assert {"6100", "6200", "6300"} <= set(codes)


async def test_a_duplicated_event_posts_once(ledger_svc, feed, probe, build) -> None:
    inv = build.envelope(build.invoice("INV-D", "CD", "100.00", "21.00", dt(2026, 1, 2), dt(2026, 2, 1)))
    # Twice in a row (likely one batch), then again after it was handled.
    await feed.send(inv, inv)
    await _all_taken(probe, 1)
    await feed.send(inv)
    marker = build.envelope(build.invoice("INV-E", "CD", "10.00", "2.10", dt(2026, 1, 3), dt(2026, 2, 2)))
    await feed.send(marker)
    await _all_taken(probe, 2)
    assert await probe.entries_of(inv.id) == 1
    body = (await ledger_svc.client.get("/customers/CD/balance")).json()
    assert body["balances"][0]["receivable"] == "133.10"
    lines = (await ledger_svc.client.get("/accounts/1100/entries")).json()["items"]
    assert [line["event_id"] for line in lines] == [inv.id, marker.id]


async def test_poisoned_events_are_dead_lettered_and_later_events_still_post(
    ledger_svc, feed, probe, build, kafka_config
) -> None:
    good_before = build.envelope(
        build.invoice("INV-G1", "CP", "100.00", "21.00", dt(2026, 1, 2), dt(2026, 2, 1))
    )
    # net + vat != gross: the amounts do not balance.
    unbalanced = build.envelope(
        build.invoice("INV-BAD", "CP", "100.00", "21.00", dt(2026, 1, 2), dt(2026, 2, 1), gross="150.00")
    )
    # An invoice claiming a currency nobody knows (its amounts in EUR).
    odd = build.invoice("INV-XYZ", "CP", "10.00", "2.10", dt(2026, 1, 2), dt(2026, 2, 1))
    unknown_currency = build.envelope(odd, data={**odd.model_dump(mode="json"), "currency": "XYZ"})
    # An amount in an unknown currency does not even decode.
    undecodable = build.envelope(
        odd,
        data={
            **odd.model_dump(mode="json"),
            "invoice_id": "INV-XYZ2",
            "gross": {"amount": "12.10", "currency": "XYZ"},
        },
    )
    # A bill line naming an account that is no expense account.
    bad_bill = build.envelope(
        build.bill(
            "B-BAD", "SP", [build.bill_line(1, "1000", "10.00", "2.10")], dt(2026, 1, 2), dt(2026, 2, 1)
        )
    )
    good_after = build.envelope(
        build.invoice("INV-G2", "CP", "10.00", "2.10", dt(2026, 1, 3), dt(2026, 2, 2))
    )
    await feed.send(good_before, unbalanced, unknown_currency, undecodable, bad_bill, good_after)

    async def billing_letters() -> list:
        letters = await read_dead_letters(kafka_config, BILLING)
        return letters if len(letters) >= 3 else []

    letters = await eventually(billing_letters, timeout=60)
    payables = await eventually(lambda: read_dead_letters(kafka_config, PAYABLES), timeout=60)
    await _all_taken(probe, 2)

    reasons = {d.event_id: d.reason for d in [*letters, *payables]}
    assert "rule totals-inconsistent" in reasons[unbalanced.id]
    assert "rule currency-mismatch" in reasons[unknown_currency.id]
    assert "XYZ" in reasons[undecodable.id]
    assert "rule expense-account-invalid" in reasons[bad_bill.id]
    assert all(d.consumer == "ledger" for d in [*letters, *payables])
    for poisoned in (unbalanced, unknown_currency, undecodable, bad_bill):
        assert not await probe.has_taken(poisoned.id)
        assert await probe.entries_of(poisoned.id) == 0
    assert await probe.entries_of(good_before.id) == 1
    assert await probe.entries_of(good_after.id) == 1
    body = (await ledger_svc.client.get("/customers/CP/balance")).json()
    assert body["balances"][0]["receivable"] == "133.10"
    # The books lack what was dead-lettered: the check says so and lists each of them.
    check = (await ledger_svc.client.get("/checks/invariants")).json()
    assert check["ok"] is False
    assert all(v.startswith("books-incomplete: ") for v in check["violations"])
    poisoned_ids = {unbalanced.id, unknown_currency.id, undecodable.id, bad_bill.id}
    assert {d["event_id"] for d in check["dead_letters"]} == poisoned_ids
    assert len(check["violations"]) == 4
