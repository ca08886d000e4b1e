"""Credit notes by line on the real stack: a mixed-rate invoice (25 %, 0 % and 12 % lines)
credited line by line in three parts brings the ledger's output VAT for that invoice to
exactly zero per rate, and its AR to zero; each credit note states its VAT per rate."""

from decimal import Decimal

import pytest

from backoffice_events.testing import eventually
from e2e.flows import eur, invoice_for, ok, place_and_ship, receivable, stock_product

pytestmark = pytest.mark.integration


async def _vat_by_rate(ledger, invoice_id: str) -> dict[str, tuple[str, str]]:
    body = await ok(await ledger.client.get("/vat/by-rate", params={"invoice_id": invoice_id}))
    assert body["input"] == []
    return {row["vat_rate"]: (row["taxable"], row["vat"]) for row in body["output"]}


async def test_a_mixed_rate_invoice_credited_in_three_parts_reverses_its_vat_per_rate(system) -> None:
    order, billing, ledger = system.order, system.billing, system.ledger
    await ok(
        await billing.client.post(
            "/accounts", json={"customer_id": "gamma", "currency": "EUR", "payment_terms_days": 30}
        ),
        201,
    )
    await stock_product(order, "STD-25", "33.33", "0.25", 10)
    await stock_product(order, "ZERO-0", "50.00", "0", 10)
    await stock_product(order, "LOW-12", "19.99", "0.12", 10)
    _order_id, shipment = await place_and_ship(order, "gamma", [("STD-25", 3), ("ZERO-0", 2), ("LOW-12", 1)])
    invoice = await invoice_for(billing, "gamma", shipment)
    invoice_id = invoice["invoice_id"]
    # 99.99 + 25.00 VAT; 100.00 + 0; 19.99 + 2.40 VAT
    assert invoice["vat"] == eur("27.40") and invoice["gross"] == eur("247.38")

    async def invoiced() -> dict[str, tuple[str, str]]:
        rates = await _vat_by_rate(ledger, invoice_id)
        assert rates == {"0": ("100.00", "0.00"), "0.12": ("19.99", "2.40"), "0.25": ("99.99", "25.00")}
        return rates

    await eventually(invoiced, timeout=60)

    parts = [
        [{"line_no": 1, "quantity": 1}, {"line_no": 2, "amount": eur("30.00")}],
        [{"line_no": 1, "quantity": 1}, {"line_no": 3, "amount": eur("10.00")}],
        [],  # the rest of every line
    ]
    notes = []
    for i, lines in enumerate(parts):
        notes.append(
            await ok(
                await billing.client.post(
                    f"/invoices/{invoice_id}/credit-notes", json={"lines": lines, "reason": f"return {i + 1}"}
                ),
                201,
            )
        )
    first = notes[0]
    assert [(line["line_no"], line["net"], line["vat"]) for line in first["lines"]] == [
        (1, eur("33.33"), eur("8.33")),  # round(99.99 / 3), round(33.33 x 25 %)
        (2, eur("30.00"), eur("0.00")),
    ]
    assert first["vat_breakdown"] == [
        {"vat_rate": "0", "taxable": eur("30.00"), "vat": eur("0.00")},
        {"vat_rate": "0.25", "taxable": eur("33.33"), "vat": eur("8.33")},
    ]
    # Every note's VAT is the sum of its lines at their own rates; together they are the invoice.
    total_vat = sum((Decimal(n["vat"]["amount"]) for n in notes), Decimal(0))
    assert total_vat == Decimal("27.40")
    credited = await ok(await billing.client.get(f"/invoices/{invoice_id}"))
    assert credited["credited"] == eur("247.38") and credited["open_amount"] == eur("0.00")

    # Nothing is left to credit on any line.
    refused = await billing.client.post(
        f"/invoices/{invoice_id}/credit-notes", json={"lines": [{"line_no": 3, "quantity": 1}], "reason": "x"}
    )
    assert refused.status_code == 422 and refused.json()["rule"] == "credit-exceeds-line"

    async def reversed_per_rate() -> bool:
        rates = await _vat_by_rate(ledger, invoice_id)
        assert rates == {"0": ("0.00", "0.00"), "0.12": ("0.00", "0.00"), "0.25": ("0.00", "0.00")}
        assert await receivable(ledger, "gamma") == 0
        return True

    await eventually(reversed_per_rate, timeout=60)
