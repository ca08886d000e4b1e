"""The support report over tickets worked through the API, with known numbers."""

import datetime as dt

import pytest

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def test_support_report_with_known_numbers(world) -> None:
    feed, clock = world.feed, world.svc.clock
    for customer in ("c-1", "c-2", "c-3"):
        await feed.order_placed(f"o-{customer}", customer, placed_at=T0 - 20 * DAY)
    await feed.invoice_issued("i-1", "c-1", "o-c-1", "100.00")
    await feed.invoice_issued("i-2", "c-2", "o-c-2", "100.00")
    await world.wait_known("c-3", invoice_id="i-1")
    await world.wait_known(invoice_id="i-2")

    # 2026-01-15 09:00: three tickets
    t1 = (await world.open_ticket("c-1", priority="normal"))["ticket_id"]  # 8h / 72h
    t2 = (await world.open_ticket("c-2", priority="urgent"))["ticket_id"]  # 1h / 8h
    t3 = (await world.open_ticket("c-3", priority="low"))["ticket_id"]  # 24h / 120h
    clock.advance(HOUR / 2)  # 09:30
    await world.post(f"/tickets/{t1}/replies", {"author": "agent", "body": "looking"}, expect=201)
    await world.post(f"/tickets/{t1}/root-cause", {"root_cause": "damaged_goods"})
    await world.post(
        f"/tickets/{t1}/remedies",
        {"kind": "credit", "invoice_id": "i-1", "amount": eur("10.00"), "reason": "dent"},
        expect=201,
    )
    await world.post(f"/tickets/{t1}/remedies", {"kind": "goodwill", "note": "sorry"}, expect=201)
    clock.advance(HOUR)  # 10:30: t2's first response is late; the job records it
    run = (await world.client.post("/jobs/sla-breaches")).json()
    assert [(b["ticket_id"], b["target"]) for b in run["breaches"]] == [(t2, "first_response")]
    clock.advance(HOUR / 2)  # 11:00
    await world.post(f"/tickets/{t2}/replies", {"author": "agent", "body": "sorry"}, expect=201)
    await world.post(f"/tickets/{t2}/root-cause", {"root_cause": "late_delivery"})
    await world.post(
        f"/tickets/{t2}/remedies",
        {"kind": "credit", "invoice_id": "i-2", "amount": eur("5.50"), "reason": "late"},
        expect=201,
    )
    clock.advance(2 * HOUR)  # 13:00
    await world.post(f"/tickets/{t1}/resolve")  # 4 hours after opening
    clock.advance(6 * HOUR)  # 19:00
    await world.post(f"/tickets/{t2}/resolve")  # 10 hours: past its 8-hour target

    # c-1 ordered again after its ticket was resolved; c-2 only before it; c-3 had no resolution
    await feed.order_placed("o-again-1", "c-1", placed_at=T0 + DAY)
    await feed.order_placed("o-again-2", "c-2", placed_at=T0 + 5 * HOUR)
    await feed.order_placed("o-again-3", "c-3", placed_at=T0 + DAY)
    await world.wait_known(order_id="o-again-3")
    await world.wait_known(order_id="o-again-2")
    await world.wait_known(order_id="o-again-1")

    # a ticket of another day stays out of the period
    clock.advance(2 * DAY)
    await world.open_ticket("c-3", priority="high")

    resp = await world.client.get("/reports/support", params={"start": "2026-01-15", "end": "2026-01-15"})
    assert resp.status_code == 200, resp.text
    report = resp.json()
    assert report["start"] == "2026-01-15T00:00:00Z" and report["end"] == "2026-01-16T00:00:00Z"
    assert report["tickets_opened"] == 3
    assert {k: v for k, v in report["by_root_cause"].items() if v} == {
        "damaged_goods": 1,
        "late_delivery": 1,
        "unrecorded": 1,
    }
    assert report["by_root_cause"]["wrong_item"] == 0
    assert report["sla_breaches"] == {"part": 1, "whole": 3, "rate": "0.3333"}
    # first responses after 30 minutes and 2 hours; resolutions after 4 and 10 hours
    assert report["median_first_response_seconds"] == 4500.0
    assert report["median_resolution_seconds"] == 7 * 3600.0
    assert report["remedies"] == {
        "credit": {"count": 2, "amounts": [eur("15.50")]},
        "reshipment": {"count": 0, "amounts": []},
        "goodwill": {"count": 1, "amounts": []},
    }
    assert report["retention"] == {"customers": 2, "returned": 1, "rate": "0.5000"}
    assert (await world.client.get(f"/tickets/{t3}")).json()["root_cause"] is None  # the unrecorded one

    # a half-open range with times: the remedies requested at 09:30 fall outside it
    narrow = (
        await world.client.get(
            "/reports/support", params={"start": "2026-01-15T09:00:00Z", "end": "2026-01-15T09:30:00Z"}
        )
    ).json()
    assert narrow["tickets_opened"] == 3 and narrow["remedies"]["credit"]["count"] == 0

    async def timeline_has_resolution() -> bool:
        items = (await world.client.get("/customers/c-2/timeline")).json()["items"]
        return "ticket_resolved" in [i["kind"] for i in items]

    await eventually(timeline_has_resolution)


async def test_report_input_and_roles(world) -> None:
    for params, field, rule in [
        ({"start": "2026-01-15", "end": "2026-01-14"}, "end", "period-empty"),
        ({"start": "2026-13-01", "end": "2026-01-14"}, "start", "invalid-datetime"),
        ({"start": "2026-01-01T00:00:00", "end": "2026-01-14"}, "start", "timezone-required"),
        ({"start": "2026-01-01"}, "end", "missing"),
    ]:
        resp = await world.client.get("/reports/support", params=params)
        assert resp.status_code == 422, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule)
    params = {"start": "2026-01-01", "end": "2026-01-31"}
    for role, status in [(Role.SUPPORT_AGENT, 200), (Role.AUDITOR, 200), (Role.PARTNER, 403)]:
        resp = await world.client.get("/reports/support", params=params, headers=world.svc.as_role(role))
        assert resp.status_code == status
    empty = (await world.client.get("/reports/support", params=params)).json()
    assert empty["tickets_opened"] == 0 and empty["sla_breaches"]["rate"] is None
    assert empty["median_first_response_seconds"] is None
