"""Who did what: the actor of each command is stored with its events, sent on Kafka as the
CloudEvents extension ``actor`` (``ce_actor``), carried into the events other services append
because of it, and answered by each service's audit endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from backoffice_events.catalog.topics import PAYABLES
from backoffice_events.envelope import Envelope
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from backoffice_platform.testing import RunningService
from e2e.flows import eur, invoice_for, ok, place_and_ship, stock_product

pytestmark = pytest.mark.integration


def name_of(service: RunningService, role: Role) -> str:
    """The principal an API key of ``role`` authenticates as."""
    return service.ctx.keys.authenticate(service.keys[role]).name


async def records_of(kafka: Any, topic: str, subject: str, count: int) -> list[Envelope]:
    consumer = AIOKafkaConsumer(
        kafka.topic(topic),
        bootstrap_servers=kafka.bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    found: list[Envelope] = []
    try:

        async def enough() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    envelope = Envelope.from_kafka(record.headers, record.value)
                    if envelope.subject == subject:
                        found.append(envelope)
            return len(found) >= count

        await eventually(enough, timeout=30)
    finally:
        await consumer.stop()
    return found


async def test_bill_entry_and_approval_name_their_actors_everywhere(system, kafka_config) -> None:
    billing = system.billing
    clerk, approver = name_of(billing, Role.PAYABLES_CLERK), name_of(billing, Role.APPROVER)
    await ok(
        await billing.client.post(
            "/suppliers",
            json={
                "supplier_id": "sup-aud",
                "name": "Audit Paper",
                "currency": "EUR",
                "payment_terms_days": 30,
            },
        ),
        201,
    )
    bill = await ok(
        await billing.client.post(
            "/supplier-bills",
            headers=billing.as_role(Role.PAYABLES_CLERK),
            json={
                "supplier_id": "sup-aud",
                "supplier_invoice_number": "AP-1",
                "bill_date": "2026-01-10",
                "lines": [
                    {"description": "paper", "expense_account": "6100", "net": eur("10.00"), "vat_rate": "0"}
                ],
            },
        ),
        201,
    )
    await ok(
        await billing.client.post(
            f"/supplier-bills/{bill['bill_id']}/approve", headers=billing.as_role(Role.APPROVER)
        )
    )
    stream = f"supplier-bill-{bill['bill_id']}"

    # the audit endpoint: who changed this bill, when, from which request
    trail = await ok(
        await billing.client.get(f"/audit/streams/{stream}", headers=billing.as_role(Role.AUDITOR))
    )
    assert [(e["type"], e["actor"]) for e in trail["events"]] == [
        ("backoffice.payables.bill_received.v1", clerk),
        ("backoffice.payables.bill_approved.v1", approver),
    ]
    assert all(e["correlation_id"] and e["occurred_at"] for e in trail["events"])

    # on the Kafka record, as the CloudEvents extension
    envelopes = await records_of(kafka_config, PAYABLES, stream, 2)
    assert [e.actor for e in envelopes[:2]] == [clerk, approver]

    # what one person did, across aggregates
    done = await ok(
        await billing.client.get(
            "/audit/events", params={"actor": approver}, headers=billing.as_role(Role.AUDITOR)
        )
    )
    assert {e["stream_id"] for e in done["items"]} == {stream}

    # a clerk may not read the audit trail
    refused = await billing.client.get(
        f"/audit/streams/{stream}", headers=billing.as_role(Role.PAYABLES_CLERK)
    )
    assert refused.status_code == 403


async def test_events_caused_downstream_carry_the_actor_of_the_command(system) -> None:
    order, billing = system.order, system.billing
    clerk = name_of(order, Role.ORDER_CLERK)
    await stock_product(order, "AUD-1", "10.00", "0.25", 5)
    order.client.headers["X-API-Key"] = order.keys[Role.ORDER_CLERK]
    _order_id, shipment_id = await place_and_ship(order, "cust-aud", [("AUD-1", 2)])
    invoice = await invoice_for(billing, "cust-aud", shipment_id)

    trail = await ok(
        await billing.client.get(
            f"/audit/streams/invoice-{invoice['invoice_id']}", headers=billing.as_role(Role.AUDITOR)
        )
    )
    issued = trail["events"][0]
    assert issued["type"] == "backoffice.billing.invoice_issued.v1"
    assert issued["actor"] == clerk  # billing issued it because the clerk shipped
    assert issued["causation_id"]  # ... and says which event caused it


async def test_the_audit_trail_of_an_unknown_stream_is_a_404(system) -> None:
    missing = await system.ledger.client.get("/audit/streams/invoice-nope")
    assert missing.status_code == 404 and missing.json()["rule"] == "stream-not-found"
