"""Credit notes (by hand and for support's credit remedies), write-offs and refunds."""

import pytest

from backoffice_events.catalog import SUPPORT
from backoffice_events.catalog.support import RemedyCreditLine
from backoffice_events.dlq import read_dead_letters
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role

pytestmark = pytest.mark.integration

HUNDRED_21 = ("A", 1, "100.00", "0.21")  # gross 121.00


def eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


async def test_credit_notes_by_hand_reduce_the_invoice_and_are_numbered_without_gaps(billing) -> None:
    invoice = await billing.ship("cust-1", HUNDRED_21)
    iid = invoice["invoice_id"]
    first = await billing.client.post(
        f"/invoices/{iid}/credit-notes",
        json={"amount": eur("60.50"), "reason": "damaged", "ticket_id": "t-1"},
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert note["number"] == "CN-2026-000001"
    assert (note["gross"], note["vat"], note["net"]) == (eur("60.50"), eur("10.50"), eur("50.00"))
    assert (note["applied"], note["unapplied"], note["ticket_id"]) == (eur("60.50"), eur("0.00"), "t-1")
    assert (await billing.invoice(iid))["open_amount"] == eur("60.50")

    before = await billing.count_events()
    too_much = await billing.client.post(
        f"/invoices/{iid}/credit-notes", json={"amount": eur("60.51"), "reason": "more"}
    )
    assert too_much.status_code == 422
    assert too_much.headers["content-type"] == "application/problem+json"
    assert (too_much.json()["field"], too_much.json()["rule"]) == ("amount", "credit-exceeds-invoiced")
    for body, rule in [
        ({"amount": eur("0"), "reason": "x"}, "amount-not-positive"),
        ({"amount": eur("1.234"), "reason": "x"}, "too-many-decimals"),
        ({"amount": {"amount": "1", "currency": "GBP"}, "reason": "x"}, "currency-mismatch"),
    ]:
        resp = await billing.client.post(f"/invoices/{iid}/credit-notes", json=body)
        assert resp.status_code == 422 and resp.json()["rule"] == rule
    missing = await billing.client.post(
        "/invoices/nope/credit-notes", json={"amount": eur("1"), "reason": "x"}
    )
    assert missing.status_code == 404 and missing.json()["rule"] == "invoice-not-found"
    assert await billing.count_events() == before

    rest = await billing.client.post(
        f"/invoices/{iid}/credit-notes", json={"amount": eur("60.50"), "reason": "rest"}
    )
    assert rest.json()["number"] == "CN-2026-000002"  # the refused ones took no number
    credited = await billing.invoice(iid)
    assert (credited["status"], credited["credited"]) == ("paid", eur("121.00"))
    assert [n["number"] for n in credited["credit_notes"]] == ["CN-2026-000001", "CN-2026-000002"]


async def test_credit_on_a_paid_invoice_becomes_unapplied_cash_that_can_be_refunded(
    billing_svc, billing
) -> None:
    invoice = await billing.ship("cust-1", HUNDRED_21)
    assert (await billing.pay("cust-1", "121.00")).status_code == 201
    note = (
        await billing.client.post(
            f"/invoices/{invoice['invoice_id']}/credit-notes",
            json={"amount": eur("21.00"), "reason": "price"},
        )
    ).json()
    assert (note["applied"], note["unapplied"]) == (eur("0.00"), eur("21.00"))
    assert (await billing.account("cust-1"))["unapplied_cash"] == eur("21.00")

    before = await billing.count_events()
    too_much = await billing.client.post("/customers/cust-1/refunds", json={"amount": eur("21.01")})
    assert too_much.status_code == 422 and too_much.json()["rule"] == "refund-exceeds-unapplied"
    negative = await billing.client.post("/customers/cust-1/refunds", json={"amount": eur("-1.00")})
    assert negative.status_code == 422 and negative.json()["rule"] == "amount-not-positive"
    nobody = await billing.client.post("/customers/nobody/refunds", json={"amount": eur("1.00")})
    assert nobody.status_code == 404
    as_auditor = await billing.client.post(
        "/customers/cust-1/refunds", json={"amount": eur("1.00")}, headers=billing_svc.as_role(Role.AUDITOR)
    )
    assert as_auditor.status_code == 403
    assert await billing.count_events() == before

    refund = await billing.client.post(
        "/customers/cust-1/refunds", json={"amount": eur("15.00"), "reason": "asked"}
    )
    assert refund.status_code == 201, refund.text
    assert (refund.json()["amount"], refund.json()["unapplied_cash"]) == (eur("15.00"), eur("6.00"))
    assert (await billing.account("cust-1"))["unapplied_cash"] == eur("6.00")
    # The rest of the credit is applied to the customer's next invoice.
    nxt = await billing.ship("cust-1", ("B", 1, "10.00", "0"))
    assert nxt["open_amount"] == eur("4.00")
    assert (await billing.event_types())[-3:] == [
        "backoffice.billing.refund_issued.v1",
        "backoffice.billing.invoice_issued.v1",
        "backoffice.billing.payment_allocated.v1",
    ]


async def test_write_off_closes_what_is_open(billing) -> None:
    invoice = await billing.ship("cust-1", HUNDRED_21)
    iid = invoice["invoice_id"]
    await billing.pay("cust-1", "21.00")
    missing_reason = await billing.client.post(f"/invoices/{iid}/write-off", json={})
    assert missing_reason.status_code == 422 and missing_reason.json()["field"] == "reason"
    done = await billing.client.post(f"/invoices/{iid}/write-off", json={"reason": "customer insolvent"})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["written_off"], done.json()["open_amount"]) == (
        "written_off",
        eur("100.00"),
        eur("0.00"),
    )
    before = await billing.count_events()
    again = await billing.client.post(f"/invoices/{iid}/write-off", json={"reason": "again"})
    assert again.status_code == 422 and again.json()["rule"] == "nothing-to-write-off"
    credit = await billing.client.post(
        f"/invoices/{iid}/credit-notes", json={"amount": eur("1"), "reason": "x"}
    )
    assert credit.status_code == 422 and credit.json()["rule"] == "invoice-written-off"
    assert await billing.count_events() == before
    # A written-off invoice has left collections.
    run = (await billing.client.post("/jobs/dunning", params={"as_of": "2026-06-01"})).json()
    assert run["notices"] == [] and run["overdue"] == []


async def test_a_credit_remedy_is_credited_exactly_once_and_bad_ones_are_dead_lettered(
    billing_svc, billing
) -> None:
    invoice = await billing.ship("cust-1", HUNDRED_21)
    remedy = billing.credit_remedy(invoice, "12.10", remedy_id="rem-1")
    unknown_invoice = billing.credit_remedy({**invoice, "invoice_id": "nope"}, "1.00", remedy_id="rem-2")
    too_much = billing.credit_remedy(invoice, "500.00", remedy_id="rem-3")
    # Delivered twice under one id, replayed under another id, plus two that can never apply.
    await billing.produce(remedy, remedy, unknown_invoice, too_much, event_ids=["e1", "e1", "e2", "e3"])
    await billing.produce(remedy)

    async def credited() -> list:
        notes = (await billing.invoice(invoice["invoice_id"]))["credit_notes"]
        letters = await read_dead_letters(billing_svc.ctx.kafka, SUPPORT)
        stats = billing_svc.worker.consumers[0].stats
        done = stats.handled + stats.skipped_duplicates + stats.dead_lettered >= 5
        return [notes, letters] if done and notes and len(letters) == 2 else []

    notes, letters = await eventually(credited)
    assert len(notes) == 1
    assert (notes[0]["remedy_id"], notes[0]["gross"], notes[0]["ticket_id"]) == (
        "rem-1",
        eur("12.10"),
        remedy.ticket_id,
    )
    assert (await billing.invoice(invoice["invoice_id"]))["open_amount"] == eur("108.90")
    reasons = sorted(letter.reason for letter in letters)
    assert any("invoice-not-found" in r for r in reasons)
    assert any("credit-exceeds-invoiced" in r for r in reasons)
    assert await billing.scalar("SELECT count(*) FROM credit_notes") == 1
    assert await billing.scalar("SELECT last_number FROM number_series WHERE series = 'CN'") == 1


async def test_credit_notes_by_line_state_vat_per_rate_and_refuse_what_a_line_lacks(billing) -> None:
    # The issue's case: 121.00 at 21 % and 100.00 at 0 %.
    invoice = await billing.ship("cust-1", HUNDRED_21, ("B", 2, "50.00", "0"))
    iid = invoice["invoice_id"]
    first = await billing.client.post(
        f"/invoices/{iid}/credit-notes",
        json={"lines": [{"line_no": 1, "amount": eur("121.00")}], "reason": "damaged"},
    )
    assert first.status_code == 201, first.text
    note = first.json()
    assert (note["net"], note["vat"], note["gross"]) == (eur("100.00"), eur("21.00"), eur("121.00"))
    assert note["lines"] == [
        {
            "line_no": 1,
            "sku": "A",
            "description": "",
            "quantity": None,
            "vat_rate": "0.21",
            "net": eur("100.00"),
            "vat": eur("21.00"),
            "gross": eur("121.00"),
        }
    ]
    assert note["vat_breakdown"] == [{"vat_rate": "0.21", "taxable": eur("100.00"), "vat": eur("21.00")}]

    before = await billing.count_events()
    for lines, field, rule in [
        ([{"line_no": 3, "quantity": 1}], "lines[0].line_no", "unknown-invoice-line"),
        ([{"line_no": 1, "quantity": 1}], "lines[0].quantity", "credit-exceeds-line"),
        ([{"line_no": 2, "amount": eur("100.01")}], "lines[0].amount", "credit-exceeds-line"),
        (
            [{"line_no": 2, "quantity": 1}, {"line_no": 2, "quantity": 1}],
            "lines[1].line_no",
            "credit-line-twice",
        ),
    ]:
        resp = await billing.client.post(
            f"/invoices/{iid}/credit-notes", json={"lines": lines, "reason": "x"}
        )
        assert resp.status_code == 422, resp.text
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule)
    assert await billing.count_events() == before

    rest = (
        await billing.client.post(f"/invoices/{iid}/credit-notes", json={"reason": "all the rest"})
    ).json()
    assert [(line["line_no"], line["quantity"], line["gross"]) for line in rest["lines"]] == [
        (2, 2, eur("100.00"))
    ]
    credited = await billing.invoice(iid)
    assert (credited["status"], credited["credited"]) == ("paid", eur("221.00"))


async def test_a_credit_remedy_naming_lines_credits_those_lines(billing_svc, billing) -> None:
    invoice = await billing.ship("cust-1", HUNDRED_21, ("B", 2, "50.00", "0"))
    remedy = billing.credit_remedy(invoice, "1.00", remedy_id="rem-lines").model_copy(
        update={"lines": [RemedyCreditLine(line_no=2, quantity=1)], "amount": None}
    )
    await billing.produce(remedy)

    async def credited() -> list:
        return list((await billing.invoice(invoice["invoice_id"]))["credit_notes"])

    [note] = await eventually(credited)
    assert [(line["line_no"], line["quantity"], line["gross"]) for line in note["lines"]] == [
        (2, 1, eur("50.00"))
    ]
