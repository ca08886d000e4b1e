"""Remedies: checked against the projected invoices and orders, and fulfilled when billing's
credit note or order-service's replacement shipment arrives on Kafka."""

import asyncio
import datetime as dt

import pytest

from backoffice_events.dlq import read_dead_letters
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def problem(resp, status: int, field: str, rule: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    body = resp.json()
    assert (body["field"], body["rule"]) == (field, rule), body
    return body


async def setting(world) -> tuple[dict, object]:
    """c-1 ordered o-1 (2 vases, 3 mugs), got 2 vases and 1 mug shipped, was invoiced 100.00
    and paid 30.00 of it; c-2 has an order and an invoice of its own. A ticket for c-1."""
    feed = world.feed
    placed = await feed.order_placed("o-1", "c-1")
    await feed.order_shipped(placed, "s-1", quantities={1: 2, 2: 1})
    await feed.invoice_issued("i-1", "c-1", "o-1", "100.00")
    await feed.payment_posted("p-1", "c-1", {"i-1": "30.00"})
    other = await feed.order_placed("o-2", "c-2")
    await feed.order_shipped(other, "s-9")
    await feed.invoice_issued("i-2", "c-2", "o-2", "10.00")
    await world.wait_known("c-1", order_id="o-2", invoice_id="i-2")

    async def paid() -> bool:
        return await world.scalar("SELECT settled FROM known_invoices WHERE invoice_id = 'i-1'") == -30

    await eventually(paid)
    await world.wait_known(invoice_id="i-1")
    return await world.open_ticket("c-1", order_id="o-1", invoice_id="i-1"), placed


async def test_remedies_and_their_outcomes(world) -> None:
    ticket, placed = await setting(world)
    tid = ticket["ticket_id"]
    credit = await world.post(
        f"/tickets/{tid}/remedies",
        {"kind": "credit", "invoice_id": "i-1", "amount": eur("50.00"), "reason": "broken vase"},
        expect=201,
        headers={"Idempotency-Key": "credit-1"},
    )
    remedy = credit["remedy"]
    assert remedy["kind"] == "credit" and remedy["status"] == "requested" and remedy["outcome"] is None
    assert remedy["amount"] == eur("50.00") and remedy["reason"] == "broken vase"
    replay = await world.client.post(
        f"/tickets/{tid}/remedies",
        json={"kind": "credit", "invoice_id": "i-1", "amount": eur("50.00"), "reason": "broken vase"},
        headers={"Idempotency-Key": "credit-1"},
    )
    assert replay.status_code == 201 and replay.json() == credit
    # 70.00 open, 50.00 of it already asked for: 20.01 is too much
    too_much = problem(
        await world.client.post(
            f"/tickets/{tid}/remedies",
            json={"kind": "credit", "invoice_id": "i-1", "amount": eur("20.01"), "reason": "again"},
        ),
        422,
        "amount",
        "credit-exceeds-open-amount",
    )
    assert too_much["open_amount"] == eur("20.00")

    reship = await world.post(
        f"/tickets/{tid}/remedies",
        {"kind": "reshipment", "order_id": "o-1", "lines": [{"line_no": 1, "quantity": 1}]},
        expect=201,
    )
    assert reship["remedy"]["lines"] == [{"line_no": 1, "sku": "VASE", "quantity": 1}]
    goodwill = await world.post(
        f"/tickets/{tid}/remedies", {"kind": "goodwill", "note": "voucher SORRY10"}, expect=201
    )
    assert goodwill["remedy"]["status"] == "fulfilled" and goodwill["remedy"]["note"] == "voucher SORRY10"
    assert await world.count_events() == 4

    # billing and order-service act on the requests
    credit_id, reship_id = remedy["remedy_id"], reship["remedy"]["remedy_id"]
    await world.feed.credit_note_issued("cn-1", "i-1", "c-1", "50.00", remedy_id=credit_id, ticket_id=tid)
    await world.feed.order_shipped(
        placed, "s-2", replacement_for=reship_id, quantities={1: 1, 2: 0}, shipped_at=T0 + DAY
    )

    async def fulfilled() -> dict:
        view = (await world.client.get(f"/tickets/{tid}")).json()
        assert [r["status"] for r in view["remedies"]] == ["fulfilled"] * 3
        return view

    view = await eventually(fulfilled)
    by_kind = {r["kind"]: r for r in view["remedies"]}
    assert by_kind["credit"]["outcome"]["credit_note_id"] == "cn-1"
    assert by_kind["credit"]["outcome"]["reference"] == "cn-1"
    assert by_kind["reshipment"]["outcome"]["shipment_id"] == "s-2"
    assert by_kind["goodwill"]["outcome"] is None
    assert view["version"] == 4  # outcomes are not ticket events

    timeline = (await world.client.get("/customers/c-1/timeline")).json()
    kinds = [item["kind"] for item in timeline["items"]]
    assert "credit_note_issued" in kinds and "replacement_shipped" in kinds
    assert timeline["open_balance"] == [eur("20.00")]

    # the credit note is issued: the rest of the open amount may be credited, no more
    problem(
        await world.client.post(
            f"/tickets/{tid}/remedies",
            json={"kind": "credit", "invoice_id": "i-1", "amount": eur("20.01"), "reason": "rest"},
        ),
        422,
        "amount",
        "credit-exceeds-open-amount",
    )
    await world.post(
        f"/tickets/{tid}/remedies",
        {"kind": "credit", "invoice_id": "i-1", "amount": eur("20.00"), "reason": "rest"},
        expect=201,
    )


async def test_pending_credits_of_other_tickets_count_against_the_invoice(world) -> None:
    first, _ = await setting(world)
    second = await world.open_ticket("c-1", invoice_id="i-1")
    third = await world.open_ticket("c-1", invoice_id="i-1")
    await world.post(
        f"/tickets/{first['ticket_id']}/remedies",
        {"kind": "credit", "invoice_id": "i-1", "amount": eur("30.00"), "reason": "a"},
        expect=201,
    )
    # 70.00 open, 30.00 asked for: of two concurrent credits of 25.00 only one fits
    answers = await asyncio.gather(
        *(
            world.client.post(
                f"/tickets/{ticket['ticket_id']}/remedies",
                json={"kind": "credit", "invoice_id": "i-1", "amount": eur("25.00"), "reason": "b"},
            )
            for ticket in (second, third)
        )
    )
    assert sorted(a.status_code for a in answers) == [201, 422]
    refused = next(a for a in answers if a.status_code == 422).json()
    assert refused["rule"] == "credit-exceeds-open-amount" and refused["open_amount"] == eur("15.00")


def credit(amount: dict | None = None, invoice_id: str = "i-1", **more) -> dict:
    return {
        "kind": "credit",
        "invoice_id": invoice_id,
        "amount": amount or eur("1.00"),
        "reason": "x",
        **more,
    }


def reship(*lines: tuple[int, int], order_id: str = "o-1") -> dict:
    return {
        "kind": "reshipment",
        "order_id": order_id,
        "lines": [{"line_no": n, "quantity": q} for n, q in lines],
    }


BAD_REMEDIES = [
    (credit(invoice_id="i-404"), "invoice_id", "unknown-invoice"),
    (credit(invoice_id="i-2"), "invoice_id", "invoice-of-other-customer"),
    (credit(eur("70.01")), "amount", "credit-exceeds-open-amount"),
    (credit(eur("0.00")), "amount", "amount-not-positive"),
    (credit({"amount": "5.00", "currency": "USD"}), "amount.currency", "currency-mismatch"),
    (credit(eur("5.001")), "amount", "value_error"),
    (credit(reason=None), "reason", "required"),
    (credit(note="n"), "note", "field-not-allowed"),
    (reship((1, 1), order_id="o-404"), "order_id", "unknown-order"),
    (reship((1, 1), order_id="o-2"), "order_id", "order-of-other-customer"),
    (reship((7, 1)), "lines[0].line_no", "unknown-order-line"),
    (reship((1, 1), (2, 2)), "lines[1].quantity", "reship-exceeds-shipped"),
    (reship((1, 0)), "lines[0].quantity", "quantity-not-positive"),
    (reship(), "lines", "required"),
    (
        {**reship(), "lines": [{"line_no": 1, "quantity": 1, "sku": "X"}]},
        "lines[0].sku",
        "extra_forbidden",
    ),
    ({"kind": "goodwill"}, "note", "required"),
    ({"kind": "voucher", "note": "x"}, "kind", "literal_error"),
]


async def test_bad_remedies_are_refused_and_nothing_is_written(world) -> None:
    ticket, _ = await setting(world)
    before = await world.count_events()
    for body, field, rule in BAD_REMEDIES:
        problem(
            await world.client.post(f"/tickets/{ticket['ticket_id']}/remedies", json=body), 422, field, rule
        )
        assert await world.count_events() == before, body


async def test_remedies_need_an_open_ticket_and_an_agent(world) -> None:
    ticket, _ = await setting(world)
    tid = ticket["ticket_id"]
    as_auditor = await world.client.post(
        f"/tickets/{tid}/remedies",
        json={"kind": "goodwill", "note": "x"},
        headers=world.svc.as_role(Role.AUDITOR),
    )
    assert as_auditor.status_code == 403
    await world.post(f"/tickets/{tid}/root-cause", {"root_cause": "damaged_goods"})
    await world.post(f"/tickets/{tid}/resolve")
    before = await world.count_events()
    problem(
        await world.client.post(f"/tickets/{tid}/remedies", json={"kind": "goodwill", "note": "x"}),
        422,
        "status",
        "ticket-not-open",
    )
    assert await world.count_events() == before


async def test_an_outcome_that_does_not_fit_its_remedy_is_dead_lettered(world, kafka_config) -> None:
    ticket, placed = await setting(world)
    tid = ticket["ticket_id"]
    credit = await world.post(
        f"/tickets/{tid}/remedies",
        {"kind": "credit", "invoice_id": "i-1", "amount": eur("5.00"), "reason": "x"},
        expect=201,
    )
    # a replacement shipment claiming to fulfil a credit
    await world.feed.order_shipped(placed, "s-bad", replacement_for=credit["remedy"]["remedy_id"])

    async def dead() -> list:
        letters = await read_dead_letters(kafka_config, "backoffice.orders")
        assert any("is a credit, not a reshipment" in d.reason for d in letters)
        return letters

    await eventually(dead)
    view = (await world.client.get(f"/tickets/{tid}")).json()
    assert view["remedies"][0]["status"] == "requested"
