"""SLA deadlines and the breach job, run for given as_of moments."""

import datetime as dt

import pytest

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from backoffice_platform.testing import running_service
from support_service.service import DEFINITION

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


async def run_job(world, as_of: str | None = None, expect: int = 200) -> dict:
    params = {"as_of": as_of} if as_of else {}
    resp = await world.client.post("/jobs/sla-breaches", params=params)
    assert resp.status_code == expect, resp.text
    return resp.json()


def breaches(run: dict) -> set[tuple[str, str]]:
    return {(b["ticket_id"], b["target"]) for b in run["breaches"]}


async def test_breaches_fire_for_the_given_as_of_and_not_before(world) -> None:
    await world.feed.order_placed("o-1", "c-1")
    await world.wait_known("c-1")
    urgent = (await world.open_ticket("c-1", priority="urgent"))["ticket_id"]  # 10:00 / 17:00
    normal = (await world.open_ticket("c-1", priority="normal"))["ticket_id"]  # 17:00 / 18th 09:00
    answered = (await world.open_ticket("c-1", priority="urgent"))["ticket_id"]
    await world.post(f"/tickets/{answered}/replies", {"author": "agent", "body": "on it"}, expect=201)
    world.svc.clock.advance(10 * DAY)

    assert breaches(await run_job(world, "2026-01-15T09:59:59Z")) == set()
    assert breaches(await run_job(world, "2026-01-15T10:00:00Z")) == set()  # at the deadline: on time
    run = await run_job(world, "2026-01-15T10:00:01+00:00")
    assert run["as_of"] == "2026-01-15T10:00:01Z"
    assert breaches(run) == {(urgent, "first_response")}
    assert run["breaches"][0]["deadline"] == "2026-01-15T10:00:00Z"
    assert breaches(await run_job(world, "2026-01-15T10:30:00Z")) == set()  # each breach once
    # a date is the end of that day
    assert breaches(await run_job(world, "2026-01-15")) == {
        (urgent, "resolution"),
        (normal, "first_response"),
        (answered, "resolution"),
    }
    assert breaches(await run_job(world, "2026-01-17")) == set()
    assert breaches(await run_job(world, "2026-01-18")) == {(normal, "resolution")}

    view = (await world.client.get(f"/tickets/{urgent}")).json()
    assert view["sla"]["breached"] == ["first_response", "resolution"]
    assert [h["type"] for h in view["history"]].count("sla_breached") == 2
    assert (await world.client.get(f"/tickets/{answered}")).json()["sla"]["breached"] == ["resolution"]
    assert await world.scalar("SELECT count(*) FROM events WHERE type LIKE '%sla_breached%'") == 5


async def test_resolved_tickets_do_not_breach_and_the_periodic_job_uses_now(world) -> None:
    await world.feed.order_placed("o-1", "c-1")
    await world.wait_known("c-1")
    solved = (await world.open_ticket("c-1", priority="urgent"))["ticket_id"]
    await world.post(f"/tickets/{solved}/root-cause", {"root_cause": "other"})
    await world.post(f"/tickets/{solved}/resolve")
    late = (await world.open_ticket("c-1", priority="urgent"))["ticket_id"]
    world.svc.clock.advance(dt.timedelta(hours=2))  # 11:00: first responses overdue, resolutions not
    job = DEFINITION.jobs[0]
    assert job.name == "sla-breaches"
    recorded = await job.run(world.svc.ctx, world.svc.clock.today())
    assert [(b.ticket_id, b.target) for b in recorded] == [(late, "first_response")]
    # without as_of the HTTP run is for now as well
    world.svc.clock.advance(DAY)
    assert breaches(await run_job(world)) == {(late, "resolution")}


async def test_bad_as_of_and_roles(world) -> None:
    before = await world.count_events()
    for as_of, rule in [
        ("2026-01-16", "as-of-in-future"),
        ("2026-01-15T09:00:01Z", "as-of-in-future"),
        ("2026-01-15T08:00:00", "timezone-required"),
        ("yesterday", "invalid-datetime"),
    ]:
        resp = await world.client.post("/jobs/sla-breaches", params={"as_of": as_of})
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == ("as_of", rule)
    for role, status in [(Role.SUPPORT_AGENT, 200), (Role.AUDITOR, 403), (Role.PARTNER, 403)]:
        resp = await world.client.post("/jobs/sla-breaches", headers=world.svc.as_role(role))
        assert resp.status_code == status
    assert await world.count_events() == before


async def test_sla_targets_and_reopen_window_come_from_settings(databases, kafka_config, feed) -> None:
    overrides = {"sla_hours": {"urgent": [2, 10]}, "reopen_window_days": 1}
    async with running_service(DEFINITION, databases, kafka_config, settings_overrides=overrides) as svc:
        await feed.order_placed("o-1", "c-1")

        async def known() -> bool:
            return (await svc.client.get("/customers/c-1/timeline")).status_code == 200

        await eventually(known)
        body = {"customer_id": "c-1", "channel": "phone", "subject": "x"}
        urgent = (await svc.client.post("/tickets", json={**body, "priority": "urgent"})).json()
        assert urgent["sla"]["first_response_due"] == "2026-01-15T11:00:00Z"
        assert urgent["sla"]["resolution_due"] == "2026-01-15T19:00:00Z"
        low = (await svc.client.post("/tickets", json={**body, "priority": "low"})).json()
        assert low["sla"]["resolution_due"] == "2026-01-20T09:00:00Z"  # default 120 hours

        tid = urgent["ticket_id"]
        await svc.client.post(f"/tickets/{tid}/root-cause", json={"root_cause": "other"})
        await svc.client.post(f"/tickets/{tid}/resolve")
        svc.clock.advance(DAY + dt.timedelta(seconds=1))
        late = await svc.client.post(f"/tickets/{tid}/reopen")
        assert late.status_code == 422 and late.json()["rule"] == "reopen-window-passed"
