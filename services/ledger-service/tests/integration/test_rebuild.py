"""Rebuilding the books from the topics: same books, reads online throughout, nothing lost
of what arrives meanwhile, and a rebuild whose process died taken over."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import text

from backoffice_events.catalog.topics import BILLING
from backoffice_events.dlq import read_dead_letters
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from ledger_service.service_layer.rebuild import (
    RebuildRefused,
    RebuildState,
    rebuild_books,
    run_rebuild,
    start_rebuild,
)

pytestmark = pytest.mark.integration

D = dt.date


async def snapshot(client, scenario) -> dict[str, object]:
    """Everything the books answer about the scenario."""
    paths = ["/accounts", "/accounts/1100/entries?limit=500", "/accounts/2000/entries?limit=500"]
    for day in (scenario.today, scenario.earlier):
        q = f"?as_of={day.isoformat()}"
        paths += [
            f"/trial-balance{q}",
            f"/aging/receivables{q}",
            f"/aging/payables{q}",
            f"/checks/invariants{q}",
        ]
        paths += [f"/customers/{c}/balance{q}" for c in ("C1", "C2", "C3")]
        paths += [f"/suppliers/{s}/balance{q}" for s in ("S1", "S2")]
    paths += ["/customers/C2/statement", "/suppliers/S1/statement"]
    found: dict[str, object] = {}
    for path in paths:
        resp = await client.get(path)
        assert resp.status_code == 200, (path, resp.text)
        found[path] = resp.json()
    return found


async def taken_by(svc, generation: int) -> int:
    async with svc.ctx.engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('search_path', :p, true)"), {"p": f"books_{generation}, public"}
        )
        return int(await conn.scalar(text("SELECT count(*) FROM source_events")))


async def wait_taken(svc, generation: int, count: int) -> None:
    async def check() -> bool:
        return await taken_by(svc, generation) == count

    await eventually(check, timeout=90)


async def test_a_rebuild_yields_the_same_books_while_reads_answer_throughout(
    ledger_svc, feed, probe, scenario, build, kafka_config
) -> None:
    client = ledger_svc.client
    poison = build.invoice("INV-P", "C1", "100.00", "21.00", D(2026, 1, 2), D(2026, 2, 1), gross="999.00")
    sent = await feed.send(*scenario.events, poison)
    await wait_taken(ledger_svc, 1, len(scenario.events))
    await eventually(lambda: read_dead_letters(kafka_config, BILLING), timeout=60)
    before = await snapshot(client, scenario)
    for d in (scenario.today, scenario.earlier):  # only the poisoned invoice is missing
        check = before[f"/checks/invariants?as_of={d}"]
        assert [v.split(" ")[:3] for v in check["violations"]] == [
            ["books-incomplete:", poison.cloud_type(), sent[-1].id]
        ]

    statuses: list[int] = []
    during: list[int] = []  # answers while the rebuild was replaying
    changed: list[str] = []
    stop = asyncio.Event()

    async def read_all_along() -> None:
        tb_path = f"/trial-balance?as_of={scenario.today.isoformat()}"
        while not stop.is_set():
            async with ledger_svc.ctx.engine.connect() as conn:
                pending = await conn.scalar(text("SELECT pending FROM ledger_generation"))
            for path in (
                tb_path,
                "/customers/C1/balance?as_of=2026-01-15",
                "/aging/receivables?as_of=2026-01-15",
            ):
                resp = await client.get(path)
                statuses.append(resp.status_code)
                if pending is not None:
                    during.append(resp.status_code)
                if resp.status_code == 200 and resp.json() != before.get(path, resp.json()):
                    changed.append(f"{path}: {resp.json()} != {before.get(path)}")
            await asyncio.sleep(0.01)

    idle = (await client.get("/rebuild/status")).json()
    assert idle == {
        "state": "idle",
        "processed": 0,
        "target": 0,
        "active_generation": 1,
        "pending_generation": None,
        "rebuild": None,
    }
    reader = asyncio.create_task(read_all_along())
    started = await client.post("/rebuild")
    assert started.status_code == 202, started.text
    assert started.json()["generation"] == 2 and started.json()["previous"] == 1
    assert started.json()["state"] == "running"
    seen_states: set[str] = set()

    async def switched() -> dict | None:
        status = (await client.get("/rebuild/status", headers=ledger_svc.as_role(Role.AUDITOR))).json()
        seen_states.add(status["rebuild"]["state"])
        return status if status["rebuild"]["state"] == "switched" else None

    status = await eventually(switched, timeout=120, interval=0.1)
    stop.set()
    await reader

    assert "running" in seen_states
    assert statuses and set(statuses) == {200}, statuses
    assert len(during) >= 3 and set(during) == {200}
    assert changed == []
    assert status["active_generation"] == 2 and status["pending_generation"] is None
    own = await ledger_topic_records(ledger_svc)
    assert status["state"] == "done" and status["processed"] == status["target"] == len(sent) + own
    rebuild = status["rebuild"]
    assert rebuild["books_equal"] is True, rebuild["detail"]
    assert rebuild["records_target"] == rebuild["records_done"] == len(sent) + own
    assert rebuild["events_applied"] == len(scenario.events)  # the poisoned one is refused again
    assert rebuild["finished_at"] is not None

    assert await snapshot(client, scenario) == before
    assert await probe.active_generation() == 2
    assert await probe.schemas() == [1, 2]  # the previous generation stays for reads in flight
    letters = await read_dead_letters(kafka_config, BILLING)
    assert {d.consumer for d in letters} == {"ledger", "ledger-rebuild-2"}

    # From now on the live consumer writes into the new generation only.
    late = build.invoice("INV-L", "C1", "10.00", "2.10", D(2026, 1, 14), D(2026, 2, 13))
    (late_env,) = await feed.send(late)

    async def posted() -> bool:
        return await probe.has_taken(late_env.id)

    await eventually(posted, timeout=60)
    body = (await client.get("/customers/C1/balance")).json()
    assert body["balances"][0]["receivable"] == "1206.10"
    assert await taken_by(ledger_svc, 1) == len(scenario.events)


async def test_events_arriving_during_a_rebuild_end_up_in_the_new_books(
    ledger_svc, feed, probe, scenario
) -> None:
    ctx, client = ledger_svc.ctx, ledger_svc.client
    events = scenario.events
    await feed.send(*events[:10])
    await wait_taken(ledger_svc, 1, 10)

    job = await start_rebuild(ctx)
    assert job.generation == 2
    conflict = await client.post("/rebuild")
    assert conflict.status_code == 409 and conflict.json()["rule"] == "rebuild-in-progress"
    status = (await client.get("/rebuild/status")).json()
    assert status["pending_generation"] == 2 and status["rebuild"]["state"] == "running"

    # Registered but not replaying yet: the live consumer writes these into both generations.
    await feed.send(*events[10:15])
    await wait_taken(ledger_svc, 1, 15)
    assert await taken_by(ledger_svc, 2) == 5

    progress: list[tuple[int, int]] = []
    late: list[asyncio.Task] = []

    def on_progress(p) -> None:
        progress.append((p.records_done, p.records_target))
        if not late:  # after the end offsets were captured: only the live consumer sees these
            late.append(asyncio.create_task(feed.send(*events[15:])))

    result = await run_rebuild(ctx, job, on_progress)
    await late[0]
    assert result.state is RebuildState.SWITCHED and result.books_equal is True, result.detail
    own = await ledger_topic_records(ledger_svc)  # the chart, also read by the rebuild
    assert progress[-1] == (15 + own, 15 + own)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    await wait_taken(ledger_svc, 2, len(events))

    for customer, owed in scenario.ar[scenario.today].items():
        body = (await client.get(f"/customers/{customer}/balance")).json()
        assert body["balances"][0]["receivable"] == owed
    assert (await client.get("/checks/invariants")).json()["ok"] is True

    # The CLI's rebuild: generation 3 replaces 2, and 1 is dropped.
    before = await snapshot(client, scenario)
    seen: list[int] = []
    again = await rebuild_books(ctx, progress=lambda p: seen.append(p.records_done))
    assert again.generation == 3 and again.previous == 2 and again.books_equal is True, again.detail
    assert seen and seen[-1] == len(events) + await ledger_topic_records(ledger_svc)  # records read
    assert await probe.schemas() == [2, 3]
    assert await snapshot(client, scenario) == before
    async with ctx.engine.connect() as conn:
        leftover = await conn.scalar(
            text("SELECT count(*) FROM processed_events WHERE consumer LIKE 'ledger-rebuild-%'")
        )
    assert leftover == 0


async def test_a_rebuild_whose_process_died_is_taken_over(ledger_svc, feed, scenario) -> None:
    ctx, client = ledger_svc.ctx, ledger_svc.client
    await feed.send(*scenario.events[:5])
    await wait_taken(ledger_svc, 1, 5)
    dead = await start_rebuild(ctx)  # registered, then its process "died"
    async with ctx.engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE ledger_rebuilds SET heartbeat_at = now() - interval '10 minutes'"
                " WHERE generation = :g"
            ),
            {"g": dead.generation},
        )
    stale = (await client.get("/rebuild/status")).json()
    assert stale["rebuild"]["state"] == "stale" and stale["state"] == "failed"
    started = await client.post("/rebuild")
    assert started.status_code == 202
    assert started.json()["generation"] == dead.generation + 1

    async def switched() -> bool:
        status = (await client.get("/rebuild/status")).json()
        return status["active_generation"] == dead.generation + 1

    await eventually(switched, timeout=120, interval=0.1)
    async with ctx.engine.connect() as conn:
        states = dict((await conn.execute(text("SELECT generation, state FROM ledger_rebuilds"))).all())
        schemas = [int(g) for g in (await conn.execute(text("SELECT ledger_book_generations()"))).scalars()]
    assert states == {dead.generation: "abandoned", dead.generation + 1: "switched"}
    assert schemas == [1, dead.generation + 1]
    body = (await client.get("/customers/C1/balance")).json()
    assert body["balances"][0]["receivable"] == "710.00"  # INV-1 less P1


async def test_a_rebuild_that_would_lose_events_is_refused(ledger_svc, feed, scenario) -> None:
    ctx, client = ledger_svc.ctx, ledger_svc.client
    await feed.send(*scenario.events[:5])
    await wait_taken(ledger_svc, 1, 5)
    # The current books hold an event the topics no longer have.
    async with ctx.engine.begin() as conn:
        await conn.execute(text("SELECT set_config('search_path', 'books_1, public', true)"))
        await conn.execute(
            text(
                "INSERT INTO source_events (event_id, event_type, source, subject, occurred_at, topic,"
                " partition, kafka_offset, data) VALUES ('gone-1', 'backoffice.billing.invoice_paid.v1',"
                " 'billing', 'INV-0', now(), 'backoffice.billing', 0, 0, '{}')"
            )
        )
    before = await snapshot(client, scenario)
    with pytest.raises(
        RebuildRefused, match="1 event\\(s\\) of generation 1 are not in the rebuilt generation 2"
    ):
        await rebuild_books(ctx)
    status = (await client.get("/rebuild/status")).json()
    assert status["active_generation"] == 1 and status["pending_generation"] is None
    assert status["rebuild"]["state"] == status["state"] == "failed"
    assert "not switching" in status["rebuild"]["detail"]
    assert await snapshot(client, scenario) == before
    async with ctx.engine.connect() as conn:
        schemas = [int(g) for g in (await conn.execute(text("SELECT ledger_book_generations()"))).scalars()]
    assert schemas == [1]


async def test_a_rebuild_repairs_books_that_went_wrong_and_says_what_differed(
    ledger_svc, feed, scenario
) -> None:
    ctx, client = ledger_svc.ctx, ledger_svc.client
    await feed.send(*scenario.events)
    await wait_taken(ledger_svc, 1, len(scenario.events))
    good = await snapshot(client, scenario)
    async with ctx.engine.begin() as conn:  # a stray line, as a bug might have written
        await conn.execute(text("SELECT set_config('search_path', 'books_1, public', true)"))
        await conn.execute(
            text(
                "INSERT INTO journal_lines (entry_id, line_no, account, currency, debit, credit, posted_on)"
                " SELECT entry_id, 99, '4000', 'EUR', 0, 7, posted_on FROM journal_lines LIMIT 1"
            )
        )
    assert (await client.get("/checks/invariants")).json()["ok"] is False
    result = await rebuild_books(ctx)
    assert result.state is RebuildState.SWITCHED
    assert (
        result.books_equal is False
        and result.detail == "generation 2 differs from generation 1 in: journal lines"
    )
    assert await snapshot(client, scenario) == good


async def ledger_topic_records(svc) -> int:
    """Records the ledger published on its own topic (its chart), which a rebuild reads too."""
    async with svc.ctx.engine.connect() as conn:
        return int(await conn.scalar(text("SELECT count(*) FROM events WHERE topic = 'backoffice.ledger'")))
