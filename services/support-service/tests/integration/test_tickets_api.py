"""Tickets over HTTP: life cycle, concurrency, idempotency, lists, roles and bad input."""

import datetime as dt

import pytest

from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
PARTNER_CUSTOMER = "cust-partner-1"


async def customers(world, *customer_ids: str) -> None:
    """Make the customers known the way production does: from their orders."""
    for n, customer_id in enumerate(customer_ids, start=1):
        await world.feed.order_placed(f"o-{customer_id}", customer_id, placed_at=T0 - (10 + n) * DAY)
    for customer_id in customer_ids:
        await world.wait_known(customer_id, order_id=f"o-{customer_id}")


def problem(resp, status: int, field: str, rule: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert (body["field"], body["rule"]) == (field, rule), body


async def test_ticket_life_cycle(world) -> None:
    await customers(world, "c-1")
    await world.feed.invoice_issued("i-1", "c-1", "o-c-1", "40.00")
    await world.wait_known(invoice_id="i-1")
    request = {
        "customer_id": "c-1",
        "order_id": "o-c-1",
        "invoice_id": "i-1",
        "channel": "email",
        "subject": "Vase arrived broken",
        "description": "The vase was in pieces.",
        "priority": "high",
    }
    first = await world.client.post("/tickets", json=request, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201, first.text
    ticket = first.json()
    assert first.headers["ETag"] == 'W/"1"'
    assert ticket["status"] == "open" and ticket["priority"] == "high"
    assert ticket["opened_at"] == "2026-01-15T09:00:00Z"
    # high: first response within 4 hours, resolution within 24 (the default policy)
    assert ticket["sla"] == {
        "first_response_due": "2026-01-15T13:00:00Z",
        "resolution_due": "2026-01-16T09:00:00Z",
        "first_responded_at": None,
        "first_response_met": None,
        "breached": [],
    }
    again = await world.client.post("/tickets", json=request, headers={"Idempotency-Key": "k-1"})
    assert again.status_code == 201 and again.json() == ticket
    reused = await world.client.post(
        "/tickets", json={**request, "subject": "Other"}, headers={"Idempotency-Key": "k-1"}
    )
    problem(reused, 409, "Idempotency-Key", "idempotency-key-reused")
    assert await world.count_events() == 1

    tid = ticket["ticket_id"]
    world.svc.clock.advance(HOUR)
    await world.post(f"/tickets/{tid}/assign", {"agent_id": "agent-7"})
    world.svc.clock.advance(HOUR)
    replied = await world.post(
        f"/tickets/{tid}/replies", {"author": "agent", "body": "Sorry! We'll fix it."}, expect=201
    )
    assert replied["sla"]["first_responded_at"] == "2026-01-15T11:00:00Z"
    assert replied["sla"]["first_response_met"] is True
    await world.post(f"/tickets/{tid}/replies", {"author": "customer", "body": "Thanks"}, expect=201)
    await world.post(f"/tickets/{tid}/notes", {"body": "Carrier damage, claim filed"}, expect=201)
    await world.post(f"/tickets/{tid}/root-cause", {"root_cause": "damaged_goods", "notes": "packaging"})
    world.svc.clock.advance(HOUR)
    resolved = await world.post(f"/tickets/{tid}/resolve", {"resolution": "credit granted"})
    assert resolved["status"] == "resolved" and resolved["resolved_at"] == "2026-01-15T12:00:00Z"
    rated = await world.post(f"/tickets/{tid}/satisfaction", {"score": 4, "comment": "quick"})
    assert rated["satisfaction"] == {"score": 4, "comment": "quick"}
    closed = await world.post(f"/tickets/{tid}/close")
    assert closed["status"] == "closed" and closed["closed_at"] == "2026-01-15T12:00:00Z"

    got = await world.client.get(f"/tickets/{tid}")
    assert got.status_code == 200 and got.headers["ETag"] == 'W/"9"'
    view = got.json()
    assert view["assignee_id"] == "agent-7"
    assert view["root_cause"] == "damaged_goods" and view["root_cause_notes"] == "packaging"
    assert view["resolution"] == "credit granted"
    assert [h["type"] for h in view["history"]] == [
        "ticket_opened",
        "ticket_assigned",
        "ticket_replied",
        "ticket_replied",
        "ticket_note_added",
        "root_cause_recorded",
        "ticket_resolved",
        "satisfaction_rated",
        "ticket_closed",
    ]
    assert view["history"][2]["data"]["first_response"] is True
    assert view["history"][2]["data"]["author_id"].startswith("test-admin")
    assert view["history"][3]["data"]["author_id"] == "c-1"
    assert view["history"][1]["at"] == "2026-01-15T10:00:00Z"
    assert all(h["actor"].startswith("test-admin") for h in view["history"])  # who did each step
    assert await world.count_events() == 9

    # every change went to Kafka too: the ticket shows up in the customer's timeline
    async def closed_in_timeline() -> bool:
        body = (await world.client.get("/customers/c-1/timeline")).json()
        return "ticket_closed" in [item["kind"] for item in body["items"]]

    await eventually(closed_in_timeline)


async def test_reopen_within_the_window_but_not_after_it(world) -> None:
    await customers(world, "c-1")
    tid = (await world.open_ticket("c-1"))["ticket_id"]
    await world.post(f"/tickets/{tid}/root-cause", {"root_cause": "late_delivery"})
    await world.post(f"/tickets/{tid}/resolve")
    world.svc.clock.advance(3 * DAY)
    reopened = await world.post(f"/tickets/{tid}/reopen", {"reason": "still late"})
    assert reopened["status"] == "open" and reopened["reopen_count"] == 1 and reopened["resolved_at"] is None
    resolved = await world.post(f"/tickets/{tid}/resolve")
    await world.post(f"/tickets/{tid}/close")
    # rated once per resolution: the second resolution may be rated again
    await world.post(f"/tickets/{tid}/satisfaction", {"score": 2})
    twice = await world.client.post(f"/tickets/{tid}/satisfaction", json={"score": 3})
    problem(twice, 409, "score", "already-rated")
    assert resolved["resolved_at"] == "2026-01-18T09:00:00Z"

    world.svc.clock.advance(14 * DAY + dt.timedelta(seconds=1))
    before = await world.count_events()
    late = await world.client.post(f"/tickets/{tid}/reopen", json={"reason": "again"})
    problem(late, 422, "at", "reopen-window-passed")
    assert await world.count_events() == before
    assert (await world.client.get(f"/tickets/{tid}")).json()["status"] == "closed"


async def test_if_match_guards_concurrent_updates(world) -> None:
    await customers(world, "c-1")
    tid = (await world.open_ticket("c-1"))["ticket_id"]
    stale = await world.client.post(
        f"/tickets/{tid}/assign", json={"agent_id": "a-1"}, headers={"If-Match": 'W/"5"'}
    )
    problem(stale, 409, "If-Match", "version-mismatch")
    garbage = await world.client.post(
        f"/tickets/{tid}/assign", json={"agent_id": "a-1"}, headers={"If-Match": "x"}
    )
    problem(garbage, 422, "If-Match", "if-match-invalid")
    ok = await world.client.post(
        f"/tickets/{tid}/assign", json={"agent_id": "a-1"}, headers={"If-Match": 'W/"1"'}
    )
    assert ok.status_code == 200 and ok.headers["ETag"] == 'W/"2"'
    assert await world.count_events() == 2


async def test_list_tickets_filters_and_pages(world) -> None:
    await customers(world, "c-1", "c-2", PARTNER_CUSTOMER)
    ids = []
    for n in range(5):
        world.svc.clock.advance(dt.timedelta(minutes=1))
        ids.append((await world.open_ticket("c-1" if n < 3 else "c-2", subject=f"t{n}"))["ticket_id"])
    partner_ticket = (await world.open_ticket(PARTNER_CUSTOMER))["ticket_id"]
    await world.post(f"/tickets/{ids[0]}/root-cause", {"root_cause": "other"})
    await world.post(f"/tickets/{ids[0]}/resolve")

    pages, cursor = [], None
    while True:
        params = {"customer_id": "c-1", "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await world.client.get("/tickets", params=params)).json()
        pages.append([t["ticket_id"] for t in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == [[ids[2], ids[1]], [ids[0]]]  # newest first

    resolved = (await world.client.get("/tickets", params={"status": "resolved"})).json()
    assert [t["ticket_id"] for t in resolved["items"]] == [ids[0]]
    everything = (await world.client.get("/tickets")).json()
    assert len(everything["items"]) == 6
    as_partner = (await world.client.get("/tickets", headers=world.svc.as_role(Role.PARTNER))).json()
    assert [t["ticket_id"] for t in as_partner["items"]] == [partner_ticket]

    problem(await world.client.get("/tickets", params={"status": "pending"}), 422, "status", "unknown-status")
    problem(await world.client.get("/tickets", params={"cursor": "@@@"}), 422, "cursor", "cursor-invalid")


async def test_roles_and_partner_scope(world) -> None:
    await customers(world, "c-1", PARTNER_CUSTOMER)
    svc = world.svc
    tid = (await world.open_ticket("c-1"))["ticket_id"]
    await world.post(f"/tickets/{tid}/notes", {"body": "internal only"}, expect=201)

    assert (await world.client.get(f"/tickets/{tid}", headers={"X-API-Key": ""})).status_code == 401
    for role in (Role.SUPPORT_AGENT, Role.AUDITOR):
        assert (await world.client.get(f"/tickets/{tid}", headers=svc.as_role(role))).status_code == 200
    assert (
        await world.client.get(f"/tickets/{tid}", headers=svc.as_role(Role.BILLING_CLERK))
    ).status_code == 403
    auditor_write = await world.client.post(
        f"/tickets/{tid}/notes", json={"body": "x"}, headers=svc.as_role(Role.AUDITOR)
    )
    assert auditor_write.status_code == 403
    agent_write = await world.client.post(
        f"/tickets/{tid}/notes", json={"body": "x"}, headers=svc.as_role(Role.SUPPORT_AGENT)
    )
    assert agent_write.status_code == 201
    # partners see only their own customers' tickets: others do not exist for them
    partner = svc.as_role(Role.PARTNER)
    problem(await world.client.get(f"/tickets/{tid}", headers=partner), 404, "ticket_id", "unknown-ticket")
    own = await world.open_ticket(PARTNER_CUSTOMER, headers=partner)
    await world.post(f"/tickets/{own['ticket_id']}/notes", {"body": "internal"}, expect=201)
    seen = (await world.client.get(f"/tickets/{own['ticket_id']}", headers=partner)).json()
    assert [h["type"] for h in seen["history"]] == ["ticket_opened"]  # internal notes stay internal
    not_theirs = await world.client.post(
        "/tickets", json={"customer_id": "c-1", "channel": "web", "subject": "x"}, headers=partner
    )
    problem(not_theirs, 422, "customer_id", "unknown-customer")
    partner_write = await world.client.post(
        f"/tickets/{own['ticket_id']}/assign", json={"agent_id": "a"}, headers=partner
    )
    assert partner_write.status_code == 403


BAD_TICKETS = [
    ({"customer_id": "nobody"}, "customer_id", "unknown-customer"),
    ({"order_id": "o-unknown"}, "order_id", "unknown-order"),
    ({"order_id": "o-c-2"}, "order_id", "order-of-other-customer"),
    ({"invoice_id": "i-unknown"}, "invoice_id", "unknown-invoice"),
    ({"invoice_id": "i-2"}, "invoice_id", "invoice-of-other-customer"),
    ({"priority": "asap"}, "priority", "unknown-priority"),
    ({"subject": ""}, "subject", "string_too_short"),
    ({"colour": "red"}, "colour", "extra_forbidden"),
]


async def test_bad_tickets_are_refused_and_nothing_is_written(world) -> None:
    await customers(world, "c-1", "c-2")
    await world.feed.invoice_issued("i-2", "c-2", "o-c-2", "10.00")
    await world.wait_known(invoice_id="i-2")
    for change, field, rule in BAD_TICKETS:
        body = {"customer_id": "c-1", "channel": "email", "subject": "Help", **change}
        problem(await world.client.post("/tickets", json=body), 422, field, rule)
    assert await world.count_events() == 0


async def test_bad_ticket_changes_are_refused_and_nothing_is_written(world) -> None:
    await customers(world, "c-1")
    tid = (await world.open_ticket("c-1"))["ticket_id"]
    cases = [
        ("root-cause", {"root_cause": "bad_luck"}, 422, "root_cause", "unknown-root-cause"),
        ("resolve", {}, 422, "root_cause", "root-cause-required"),
        ("satisfaction", {"score": 5}, 422, "status", "ticket-not-resolved"),
        ("replies", {"author": "robot", "body": "beep"}, 422, "author", "unknown-author"),
        ("reopen", {}, 422, "status", "ticket-not-resolved"),
        ("close", None, 422, "status", "ticket-not-resolved"),
    ]
    for action, body, status, field, rule in cases:
        problem(await world.client.post(f"/tickets/{tid}/{action}", json=body), status, field, rule)
    await world.post(f"/tickets/{tid}/root-cause", {"root_cause": "wrong_item"})
    await world.post(f"/tickets/{tid}/resolve")
    before = await world.count_events()
    for score in (0, 6, -1):
        problem(
            await world.client.post(f"/tickets/{tid}/satisfaction", json={"score": score}),
            422,
            "score",
            "score-out-of-range",
        )
    problem(
        await world.client.post(f"/tickets/{tid}/satisfaction", json={"score": "5"}), 422, "score", "int_type"
    )
    problem(
        await world.client.post(f"/tickets/{tid}/root-cause", json={"root_cause": "wrong_item"}),
        422,
        "status",
        "ticket-not-open",
    )
    problem(
        await world.client.post("/tickets/nope/assign", json={"agent_id": "a"}),
        404,
        "ticket_id",
        "unknown-ticket",
    )
    problem(await world.client.get("/tickets/nope"), 404, "ticket_id", "unknown-ticket")
    malformed = await world.client.post(
        f"/tickets/{tid}/notes", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400 and malformed.json()["rule"] == "malformed-json"
    huge = await world.client.post(f"/tickets/{tid}/notes", json={"body": "x" * 2_000_000})
    assert huge.status_code == 413
    assert await world.count_events() == before


async def test_health_and_metrics(world) -> None:
    assert (await world.client.get("/healthz")).json()["status"] == "ok"
    ready = await world.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": True
    }  # an API needs only its database
    metrics = (await world.client.get("/metrics")).text
    assert "backoffice_http_request_duration_seconds_bucket" in metrics
