"""A money event the ledger has no rule for never slips by: the ledger dead-letters it and the
books check says the books are incomplete (API and CLI), while the services that have no
handler for the type skip it without dead-lettering it (a rolling deploy that adds an event
type must not flood every dead-letter topic)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import uuid
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from backoffice_cli.main import app as cli
from backoffice_events.catalog.topics import BILLING
from backoffice_events.envelope import Envelope
from backoffice_events.testing import CloudEventProducer, eventually
from backoffice_platform.auth import Role
from e2e.flows import ok

pytestmark = pytest.mark.integration

LATE_FEE = "backoffice.billing.late_fee_charged.v1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_an_event_without_a_posting_rule_fails_the_books_check(
    system, kafka_config, monkeypatch
) -> None:
    fee = Envelope(
        id=str(uuid.uuid4()),
        source="billing",
        type=LATE_FEE,
        subject="invoice-late-1",
        time=dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC),
        data={
            "invoice_id": "late-1",
            "customer_id": "cust-late",
            "fee": {"amount": "5.00", "currency": "EUR"},
        },
        stream_version=2,
        correlation_id="corr-late",
    )
    async with CloudEventProducer(kafka_config) as producer:
        await producer.send(BILLING, fee)

    async def books_incomplete() -> dict[str, Any] | None:
        body: dict[str, Any] = await ok(await system.ledger.client.get("/checks/invariants"))
        return body if any(v.startswith("books-incomplete") for v in body["violations"]) else None

    check = await eventually(books_incomplete, timeout=60)
    assert [(d["event_type"], d["event_id"]) for d in check["dead_letters"]] == [(LATE_FEE, fee.id)]
    assert any(fee.id in v and LATE_FEE in v for v in check["violations"])

    # every other consumer of the billing topic saw it and moved on, dead-lettering nothing
    others = [
        (service, consumer)
        for service in (system.order, system.support)
        for consumer in service.worker.consumers
        if BILLING in consumer.topics
    ]
    assert others  # support projects billing's events into the customer history
    for service, consumer in others:

        async def skipped(c: Any = consumer) -> bool:
            return bool(c.stats.skipped_types)

        await eventually(skipped, timeout=30)
        assert consumer.stats.dead_lettered == 0, (service.definition.name, consumer.name)

    # the operator's CLI says the same, and fails
    port = _free_port()
    ledger_app = system.ledger.client._transport.app  # type: ignore[attr-defined]
    server = uvicorn.Server(
        uvicorn.Config(ledger_app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    serving = asyncio.create_task(server.serve())
    try:

        async def started() -> bool:
            return bool(server.started)

        await eventually(started, timeout=10)
        monkeypatch.setenv("LEDGER_API_URL", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("BACKOFFICE_API_KEY", system.ledger.keys[Role.AUDITOR])
        monkeypatch.setenv("COLUMNS", "250")
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["ledger", "check"], catch_exceptions=False)
    finally:
        server.should_exit = True
        await serving
    assert result.exit_code == 1
    assert "books-incomplete" in result.output and fee.id in result.output
