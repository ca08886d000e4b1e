"""Billing accounts, and billing's events reaching its Kafka topics as CloudEvents."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer

from backoffice_events.catalog import BILLING, PAYABLES
from backoffice_events.envelope import Envelope
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

ACCOUNT = {
    "customer_id": "cust-1",
    "currency": "EUR",
    "payment_terms_days": 14,
    "credit_limit": {"amount": "5000.00", "currency": "EUR"},
    "dunning_contact": "ap@cust.example",
}


async def test_an_account_is_opened_and_read(billing_svc, billing) -> None:
    clerk = billing_svc.as_role(Role.BILLING_CLERK)
    opened = await billing.client.post("/accounts", json=ACCOUNT, headers={**clerk, "Idempotency-Key": "a-1"})
    assert opened.status_code == 201, opened.text
    assert opened.json() == {
        **ACCOUNT,
        "unapplied_cash": {"amount": "0.00", "currency": "EUR"},
        "auto_apply_cash": True,
        "version": 1,
        "opened_at": "2026-01-15T09:00:00Z",
    }
    retried = await billing.client.post(
        "/accounts", json=ACCOUNT, headers={**clerk, "Idempotency-Key": "a-1"}
    )
    assert (retried.status_code, retried.json()) == (201, opened.json())
    assert (
        await billing.client.get("/accounts/cust-1", headers=billing_svc.as_role(Role.AUDITOR))
    ).json() == (opened.json())
    # Terms come from the account: an invoice issued today is due in 14 days.
    assert (await billing.ship("cust-1"))["due_date"] == "2026-01-29"
    missing = await billing.client.get("/accounts/nobody")
    assert missing.status_code == 404 and missing.json()["rule"] == "billing-account-not-found"
    for role in (Role.PARTNER, Role.PAYABLES_CLERK):
        assert (
            await billing.client.get("/accounts/cust-1", headers=billing_svc.as_role(role))
        ).status_code == 403
    assert await billing.event_types() == [
        "backoffice.billing.account_opened.v1",
        "backoffice.billing.invoice_issued.v1",
    ]


BAD_ACCOUNTS = [
    ({"customer_id": "cust-1"}, 409, "customer_id", "duplicate-account"),
    ({"currency": "ABC"}, 422, "currency", "unknown-currency"),
    ({"payment_terms_days": 400}, 422, "payment_terms_days", "terms-out-of-range"),
    (
        {"credit_limit": {"amount": "10", "currency": "USD"}},
        422,
        "credit_limit.currency",
        "currency-mismatch",
    ),
    (
        {"credit_limit": {"amount": "10.001", "currency": "EUR"}},
        422,
        "credit_limit.amount",
        "too-many-decimals",
    ),
    ({"credit_limit": {"amount": "-1", "currency": "EUR"}}, 422, "credit_limit.amount", "amount-negative"),
    ({"customer_id": ""}, 422, "customer_id", "string_too_short"),
    ({"limit": 3}, 422, "limit", "extra_forbidden"),
]


async def test_bad_accounts_are_refused_and_nothing_is_written(billing_svc, billing) -> None:
    assert (await billing.client.post("/accounts", json=ACCOUNT)).status_code == 201
    before = await billing.count_events()
    for change, status, field, rule in BAD_ACCOUNTS:
        resp = await billing.client.post("/accounts", json={**ACCOUNT, "customer_id": "cust-2", **change})
        assert resp.status_code == status, (change, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule), change
    for role in (Role.AUDITOR, Role.PARTNER, Role.PAYABLES_CLERK):
        denied = await billing.client.post(
            "/accounts", json={**ACCOUNT, "customer_id": "c3"}, headers=billing_svc.as_role(role)
        )
        assert denied.status_code == 403, role
    assert await billing.count_events() == before
    assert await billing.scalar("SELECT count(*) FROM billing_accounts") == 1


async def read_topic(kafka, logical: str, expect: int) -> list[Envelope]:
    """The topic's events from the beginning, once ``expect`` of them arrived."""
    consumer = AIOKafkaConsumer(
        kafka.topic(logical),
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    out: list[Envelope] = []
    try:
        while len(out) < expect:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                out.extend(Envelope.from_kafka(r.headers, r.value) for r in records)
    finally:
        await consumer.stop()
    return out


async def test_events_are_published_as_cloudevents_on_the_billing_and_payables_topics(
    billing_svc, billing
) -> None:
    invoice = await billing.ship("cust-1")
    await billing.pay("cust-1", "24.20")
    supplier = await billing.client.post(
        "/suppliers", json={"supplier_id": "sup-1", "name": "P", "currency": "EUR"}
    )
    assert supplier.status_code == 201
    kafka = billing_svc.ctx.kafka
    billing_events, payables_events = await asyncio.wait_for(
        asyncio.gather(read_topic(kafka, BILLING, 4), read_topic(kafka, PAYABLES, 1)), timeout=30
    )
    assert sorted(e.type for e in billing_events) == [
        "backoffice.billing.account_opened.v1",
        "backoffice.billing.invoice_issued.v1",
        "backoffice.billing.invoice_paid.v1",
        "backoffice.billing.payment_posted.v1",
    ]
    issued = next(e for e in billing_events if e.type == "backoffice.billing.invoice_issued.v1")
    assert (issued.source, issued.subject) == ("billing", f"invoice-{invoice['invoice_id']}")
    assert issued.data["gross"] == {"amount": "24.20", "currency": "EUR"}
    uuid.UUID(issued.id)
    assert [(e.type, e.subject) for e in payables_events] == [
        ("backoffice.payables.supplier_registered.v1", "supplier-sup-1")
    ]


async def test_health_readiness_and_metrics(billing) -> None:
    assert (await billing.client.get("/healthz")).json() == {"status": "ok", "service": "billing"}
    ready = await billing.client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": True
    }  # an API needs only its database
    await billing.ship("cust-1")
    metrics = (await billing.client.get("/metrics")).text
    assert 'backoffice_events_appended_total{service="billing"}' in metrics
