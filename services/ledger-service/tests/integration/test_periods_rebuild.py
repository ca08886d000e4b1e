"""A rebuild keeps the posting dates decided under the lock date and replays approved manual
entries from the ledger's own topic: the new journal equals the old one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text

from backoffice_events.catalog.billing import InvoiceIssued, InvoiceLine
from backoffice_events.money import Money
from backoffice_events.testing import eventually
from backoffice_platform.auth import Role
from ledger_service.service_layer.rebuild import rebuild_books

pytestmark = pytest.mark.integration

JOURNAL = (
    "SELECT entry_id, event_id, posted_on, document_date, description FROM journal_entries ORDER BY entry_id"
)


def invoice(invoice_id: str, net: str, vat: str, issued: dt.date) -> InvoiceIssued:
    """An invoice to customer C1 with one line."""
    n, v, g = Money.of(net, "EUR"), Money.of(vat, "EUR"), Money.of(str(Decimal(net) + Decimal(vat)), "EUR")
    line = InvoiceLine(
        line_no=1, sku="SKU-1", quantity=1, unit_price=n, vat_rate=Decimal("0.21"), net=n, vat=v, gross=g
    )
    return InvoiceIssued(
        invoice_id=invoice_id,
        customer_id="C1",
        number=f"INV-{invoice_id}",
        order_id=f"ord-{invoice_id}",
        shipment_id=f"shp-{invoice_id}",
        issue_date=issued,
        due_date=issued + dt.timedelta(days=30),
        currency="EUR",
        lines=[line],
        net=n,
        vat=v,
        gross=g,
    )


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


async def journal(svc, generation: int) -> list[tuple[object, ...]]:
    async with svc.ctx.engine.begin() as conn:
        await conn.execute(
            text("SELECT set_config('search_path', :p, true)"), {"p": f"books_{generation}, public"}
        )
        return [tuple(r) for r in (await conn.execute(text(JOURNAL))).all()]


async def test_rebuild_keeps_moved_dates_and_manual_entries(ledger_svc, feed) -> None:
    client = ledger_svc.client
    ledger_svc.clock.at = dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC)
    await feed.send(invoice("I1", "100.00", "21.00", dt.date(2026, 1, 10)))
    await wait_taken(ledger_svc, 1, 1)
    closed = await client.post("/periods/2026-01/close", headers=ledger_svc.as_role(Role.ACCOUNTANT))
    assert closed.status_code == 200, closed.text

    await feed.send(invoice("I2", "10.00", "2.10", dt.date(2026, 1, 20)))
    entry = await client.post(
        "/journal-entries",
        headers=ledger_svc.as_role(Role.ACCOUNTANT),
        json={
            "date": "2026-02-05",
            "description": "bank fee",
            "lines": [
                {"account": "6500", "side": "debit", "amount": "3.00", "currency": "EUR"},
                {"account": "1000", "side": "credit", "amount": "3.00", "currency": "EUR"},
            ],
        },
    )
    assert entry.status_code == 201, entry.text
    approved = await client.post(f"/journal-entries/{entry.json()['entry_id']}/approve")
    assert approved.status_code == 200, approved.text
    # two invoices and the approval (posted by the command); the ledger's own events that post
    # nothing (the chart, PeriodClosed, the proposal) are no source of the books
    await wait_taken(ledger_svc, 1, 3)

    before = await journal(ledger_svc, 1)
    moved = [row for row in before if row[3] != row[2]]
    assert [(row[2], row[3]) for row in moved] == [(dt.date(2026, 2, 1), dt.date(2026, 1, 20))]
    assert any(str(row[4]).startswith("Manual entry") for row in before)

    result = await rebuild_books(ledger_svc.ctx)
    assert result.books_equal is True, result.detail
    assert await journal(ledger_svc, result.generation) == before
    assert await taken_by(ledger_svc, result.generation) == 3
