"""Collections (dunning) by as_of date, configurable ladders, and statements at any date."""

import datetime as dt

import pytest
from pydantic import ValidationError

from backoffice_platform.auth import Role
from backoffice_platform.testing import running_service
from billing_service.service import DEFINITION
from billing_service.settings import BillingSettings

pytestmark = pytest.mark.integration


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def dunning(billing, as_of: str) -> dict:
    resp = await billing.client.post("/jobs/dunning", params={"as_of": as_of})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def levels(run: dict) -> dict[str, tuple[int, str]]:
    return {n["invoice_id"]: (n["level"], n["level_name"]) for n in run["notices"]}


async def test_an_unpaid_invoice_climbs_the_dunning_ladder_and_a_payment_stops_it(
    billing_svc, billing
) -> None:
    opened = await billing.client.post(
        "/accounts", json={"customer_id": "cust-1", "currency": "EUR", "dunning_contact": "ap@cust.example"}
    )
    assert opened.status_code == 201
    a = (await billing.ship("cust-1", ("A", 1, "100.00", "0")))["invoice_id"]
    b = (await billing.ship("cust-1", ("B", 1, "50.00", "0")))["invoice_id"]  # both due 2026-02-14

    on_due_date = await dunning(billing, "2026-02-14")
    assert (on_due_date["examined"], on_due_date["overdue"], on_due_date["notices"]) == (0, [], [])
    next_day = await dunning(billing, "2026-02-15")
    assert {o["invoice_id"] for o in next_day["overdue"]} == {a, b} and next_day["notices"] == []
    week = await dunning(billing, "2026-02-21")
    assert levels(week) == {a: (1, "reminder"), b: (1, "reminder")}
    assert {n["contact"] for n in week["notices"]} == {"ap@cust.example"}
    assert week["notices"][0]["days_overdue"] == 7
    assert (await dunning(billing, "2026-02-21"))["notices"] == []  # the same day twice: nothing new
    three_weeks = await dunning(billing, "2026-03-07")
    assert levels(three_weeks) == {a: (2, "second_reminder"), b: (2, "second_reminder")}

    await billing.pay("cust-1", "100.00", reference=(await billing.invoice(a))["number"])
    five_weeks = await dunning(billing, "2026-03-21")
    assert levels(five_weeks) == {b: (3, "final_notice")}
    assert (await dunning(billing, "2026-05-01"))["notices"] == []
    invoice_a, invoice_b = await billing.invoice(a), await billing.invoice(b)
    assert (invoice_a["status"], invoice_a["dunning_level"]) == ("paid", 2)
    assert (invoice_b["status"], invoice_b["dunning_level"], invoice_b["overdue"]) == ("open", 3, True)
    types = await billing.event_types()
    assert types.count("backoffice.billing.invoice_overdue.v1") == 2
    assert types.count("backoffice.billing.dunning_notice_issued.v1") == 5

    as_partner = await billing.client.post("/jobs/dunning", headers=billing_svc.as_role(Role.PARTNER))
    assert as_partner.status_code == 403
    bad_date = await billing.client.post("/jobs/dunning", params={"as_of": "2026-13-01"})
    assert bad_date.status_code == 422 and bad_date.json()["field"] == "as_of"
    today = await billing.client.post("/jobs/dunning", headers=billing_svc.as_role(Role.BILLING_CLERK))
    assert today.json()["as_of"] == "2026-01-15"  # the service's clock


async def test_the_dunning_ladder_is_configured_in_settings_and_run_as_a_periodic_job(
    databases, kafka_config, billing_driver
) -> None:
    ladder = [
        {"level": 1, "name": "nudge", "days_overdue": 3},
        {"level": 2, "name": "call", "days_overdue": 10},
    ]
    async with running_service(
        DEFINITION, databases, kafka_config, start_worker=False, settings_overrides={"dunning_levels": ladder}
    ) as svc:
        invoice = await billing_driver(svc).ship("cust-1")
        assert invoice["due_date"] == "2026-02-14"
        job = next(job for job in DEFINITION.jobs if job.name == "dunning")
        run = await job.run(svc.ctx, dt.date(2026, 2, 17))  # 3 days after the due date
        assert [(n.level, n.level_name) for n in run.notices] == [(1, "nudge")]  # type: ignore[attr-defined]
        run = await job.run(svc.ctx, dt.date(2026, 3, 1))
        assert [(n.level, n.level_name) for n in run.notices] == [(2, "call")]  # type: ignore[attr-defined]
    with pytest.raises(ValidationError, match="days_overdue"):
        BillingSettings(
            dunning_levels=[{"level": 1, "name": "a", "days_overdue": 5}, {**ladder[1], "days_overdue": 5}]
        )


async def test_a_statement_shows_the_position_at_any_date(billing_svc, billing) -> None:
    clock = billing_svc.clock
    clock.at = dt.datetime(2026, 1, 15, 9, tzinfo=dt.UTC)
    a = await billing.ship("cust-1", ("A", 1, "100.00", "0"))
    clock.at = dt.datetime(2026, 1, 20, 9, tzinfo=dt.UTC)
    b = await billing.ship("cust-1", ("B", 1, "50.00", "0"))
    clock.at = dt.datetime(2026, 1, 25, 9, tzinfo=dt.UTC)
    payment = (await billing.pay("cust-1", "130.00", received_on="2026-01-25")).json()
    clock.at = dt.datetime(2026, 2, 1, 9, tzinfo=dt.UTC)
    note = await billing.client.post(
        f"/invoices/{b['invoice_id']}/credit-notes", json={"amount": eur("30.00"), "reason": "late"}
    )
    assert note.json()["unapplied"] == eur("10.00")
    clock.at = dt.datetime(2026, 2, 3, 9, tzinfo=dt.UTC)
    assert (
        await billing.client.post("/customers/cust-1/refunds", json={"amount": eur("4.00")})
    ).status_code == 201

    async def statement(**params: str) -> dict:
        resp = await billing.client.get("/customers/cust-1/statement", params=params)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    before_payment = await statement(as_of="2026-01-22")
    assert [(i["number"], i["open_amount"]["amount"]) for i in before_payment["open_items"]] == [
        (a["number"], "100.00"),
        (b["number"], "50.00"),
    ]
    assert before_payment["payments"] == [] and before_payment["balance"] == eur("150.00")

    after_payment = await statement(as_of="2026-01-31")
    assert [(i["invoice_id"], i["open_amount"]) for i in after_payment["open_items"]] == [
        (b["invoice_id"], eur("20.00"))
    ]
    assert [p["payment_id"] for p in after_payment["payments"]] == [payment["payment_id"]]
    assert after_payment["balance"] == eur("20.00")

    end_of_february = await statement(as_of="2026-02-28")
    assert end_of_february["open_items"] == [] and end_of_february["total_open"] == eur("0.00")
    assert [c["gross"] for c in end_of_february["credits"]] == [eur("30.00")]
    assert [r["amount"] for r in end_of_february["refunds"]] == [eur("4.00")]
    assert (end_of_february["unapplied_cash"], end_of_february["balance"]) == (eur("6.00"), eur("-6.00"))

    february_only = await statement(as_of="2026-02-28", **{"from": "2026-02-01"})
    assert february_only["payments"] == [] and len(february_only["credits"]) == 1
    assert february_only["period_start"] == "2026-02-01"

    today = await statement()  # the clock's today
    assert today["as_of"] == "2026-02-03"
    reversed_period = await billing.client.get(
        "/customers/cust-1/statement", params={"as_of": "2026-01-01", "from": "2026-02-01"}
    )
    assert reversed_period.status_code == 422 and reversed_period.json()["rule"] == "period-start-after-as-of"
    unknown = await billing.client.get("/customers/nobody/statement")
    assert unknown.status_code == 404 and unknown.json()["rule"] == "billing-account-not-found"
    auditor = await billing.client.get(
        "/customers/cust-1/statement", headers=billing_svc.as_role(Role.AUDITOR)
    )
    assert auditor.status_code == 200
