"""Support checks money events as the ledger does, and credit remedies name invoice lines."""

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.catalog.billing import InvoiceIssued, InvoiceLine
from backoffice_events.dlq import read_dead_letters
from backoffice_events.money import Money
from backoffice_events.receivables import line_amounts
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 1, 15, 9, 0, tzinfo=dt.UTC)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def priced(no: int, quantity: int, price: str, rate: str) -> InvoiceLine:
    amounts = line_amounts(quantity, eur(price), Decimal(0), Decimal(rate))
    return InvoiceLine(
        line_no=no,
        sku=f"SKU-{no}",
        quantity=quantity,
        unit_price=eur(price),
        vat_rate=Decimal(rate),
        net=amounts.net,
        vat=amounts.vat,
        gross=amounts.gross,
    )


def invoice(invoice_id: str, lines: list[InvoiceLine], **totals: Money) -> InvoiceIssued:
    net = sum((line.net for line in lines), eur("0"))
    vat = sum((line.vat for line in lines), eur("0"))
    fields = {"net": net, "vat": vat, "gross": net + vat, **totals}
    return InvoiceIssued(
        invoice_id=invoice_id,
        customer_id="c-1",
        number=f"INV-2026-{invoice_id}",
        order_id="o-1",
        shipment_id=f"s-{invoice_id}",
        issue_date=T0.date(),
        due_date=(T0 + dt.timedelta(days=30)).date(),
        currency="EUR",
        lines=lines,
        **fields,
    )


async def test_an_invoice_the_ledger_would_refuse_is_dead_lettered_and_not_in_the_history(
    world, kafka_config
) -> None:
    lines = [priced(1, 1, "100.00", "0.21")]
    unbalanced = invoice("i-bad", lines, gross=eur("120.00"))  # 100.00 + 21.00 != 120.00
    negative_line = priced(1, 1, "10.00", "0").model_copy(
        update={"net": eur("-10.00"), "gross": eur("-10.00")}
    )
    negative = invoice("i-neg", [negative_line])
    for bad in (unbalanced, negative):
        await world.feed.publish(bad, f"invoice-{bad.invoice_id}", at=T0)
    await world.feed.publish(invoice("i-good", lines), "invoice-i-good", at=T0)
    await world.wait_known("c-1", invoice_id="i-good")

    async def dead() -> list:
        letters = await read_dead_letters(kafka_config, "backoffice.billing")
        reasons = " ".join(letter.reason for letter in letters)
        assert "totals-inconsistent" in reasons and "amount-negative" in reasons
        return letters

    await eventually(dead)
    body = (await world.client.get("/customers/c-1/timeline")).json()
    invoices = [ref for item in body["items"] for ref in item.get("references", {}).get("invoice", [])]
    assert invoices == ["i-good"]
    assert [i["invoice_id"] for i in body["open_invoices"]] == ["i-good"]
    assert body["open_balance"] == [{"amount": "121.00", "currency": "EUR"}]
    assert await world.scalar("SELECT count(*) FROM known_invoices WHERE invoice_id <> 'i-good'") == 0


async def test_a_credit_remedy_names_invoice_lines_and_asks_for_what_they_come_to(world) -> None:
    mixed = invoice("i-1", [priced(1, 2, "50.00", "0.25"), priced(2, 1, "100.00", "0")])
    await world.feed.publish(mixed, "invoice-i-1", at=T0)
    await world.wait_known("c-1", invoice_id="i-1")
    ticket = await world.open_ticket("c-1", invoice_id="i-1")
    tid = ticket["ticket_id"]

    credit = await world.post(
        f"/tickets/{tid}/remedies",
        {"kind": "credit", "invoice_id": "i-1", "lines": [{"line_no": 1, "quantity": 1}], "reason": "broken"},
        expect=201,
    )
    # one of two units at 25 %: 50.00 + 12.50
    assert credit["remedy"]["amount"] == {"amount": "62.50", "currency": "EUR"}

    for lines, field, rule in [
        ([{"line_no": 9, "quantity": 1}], "lines[0].line_no", "unknown-invoice-line"),
        ([{"line_no": 1, "quantity": 3}], "lines[0].quantity", "credit-exceeds-line"),
        (
            [{"line_no": 2, "quantity": 1}, {"line_no": 2, "quantity": 1}],
            "lines[1].line_no",
            "credit-line-twice",
        ),
    ]:
        resp = await world.client.post(
            f"/tickets/{tid}/remedies",
            json={"kind": "credit", "invoice_id": "i-1", "lines": lines, "reason": "x"},
        )
        assert resp.status_code == 422, resp.text
        assert (resp.json()["field"], resp.json()["rule"]) == (field, rule)
