"""Customer history: timeline entries and open balances."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from backoffice_events.catalog.billing import (
    Allocation,
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentPosted,
    RefundIssued,
    VatRateAmount,
)
from backoffice_events.catalog.orders import (
    Address,
    OrderCancelled,
    OrderDelivered,
    OrderLine,
    OrderPlaced,
    OrderShipped,
    QuantityLine,
    ShippedLine,
    StockReserved,
)
from backoffice_events.catalog.support import (
    SatisfactionRated,
    TicketNoteAdded,
    TicketOpened,
    TicketResolved,
)
from backoffice_events.money import Money
from support_service.domain.history import timeline_entry
from support_service.domain.remedies import remedy_outcome_of

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def order_placed(order_id: str = "o-1", customer_id: str = "c-1") -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        customer_id=customer_id,
        channel="web",
        currency="EUR",
        lines=[
            OrderLine(line_no=1, sku="VASE", quantity=2, unit_price=eur("10.00"), vat_rate=Decimal("0.21")),
            # 3 x 3.33 less 10 % = 8.991 -> 8.99
            OrderLine(
                line_no=2,
                sku="MUG",
                quantity=3,
                unit_price=eur("3.33"),
                discount_percent=Decimal(10),
                vat_rate=Decimal("0.21"),
            ),
        ],
        shipping_address=Address(
            name="A", line1="Street 1", postal_code="1000", city="Brussels", country="BE"
        ),
        backorder_policy="allow",
        placed_at=T0,
    )


def shipped(replacement_for: str | None = None) -> OrderShipped:
    price = eur("0") if replacement_for else eur("10.00")
    return OrderShipped(
        order_id="o-1",
        shipment_id="sh-2" if replacement_for else "sh-1",
        customer_id="c-1",
        currency="EUR",
        lines=[ShippedLine(line_no=1, sku="VASE", quantity=2, unit_price=price, vat_rate=Decimal("0.21"))],
        carrier="bpost",
        tracking_number="TR1",
        shipped_at=T0 + DAY,
        replacement_for=replacement_for,
    )


def invoice(invoice_id: str = "inv-1", gross: str = "121.00") -> InvoiceIssued:
    return InvoiceIssued(
        invoice_id=invoice_id,
        customer_id="c-1",
        number=f"INV-2026-{invoice_id}",
        order_id="o-1",
        shipment_id="sh-1",
        issue_date=dt.date(2026, 3, 3),
        due_date=dt.date(2026, 4, 2),
        currency="EUR",
        lines=[],
        net=eur("100.00"),
        vat=eur("21.00"),
        gross=eur(gross),
    )


def credit_note(applied: str, unapplied: str = "0", remedy_id: str | None = "r-1") -> CreditNoteIssued:
    gross = eur(applied) + eur(unapplied)
    return CreditNoteIssued(
        invoice_id="inv-1",
        customer_id="c-1",
        credit_note_id="cn-1",
        number="CN-2026-000001",
        lines=[
            CreditNoteLine(line_no=1, sku="VASE", vat_rate=Decimal(0), net=gross, vat=eur("0"), gross=gross)
        ],
        vat_breakdown=[VatRateAmount(vat_rate=Decimal(0), taxable=gross, vat=eur("0"))],
        net=gross,
        vat=eur("0"),
        gross=gross,
        applied=eur(applied),
        unapplied=eur(unapplied),
        reason="broken vase",
        remedy_id=remedy_id,
        ticket_id="t-1",
        issue_date=dt.date(2026, 3, 5),
    )


def payment(amount: str, allocations: dict[str, str], unapplied: str = "0") -> PaymentPosted:
    return PaymentPosted(
        payment_id="p-1",
        customer_id="c-1",
        amount=eur(amount),
        received_on=dt.date(2026, 3, 4),
        bank_transaction_id="bt-1",
        allocations=[Allocation(invoice_id=inv, amount=eur(value)) for inv, value in allocations.items()],
        unapplied=eur(unapplied),
    )


# timeline entries -----------------------------------------------------------------------


def test_order_placed_entry_shows_the_net_value() -> None:
    entry = timeline_entry(order_placed(), T0)
    assert entry is not None
    assert entry.kind == "order_placed" and entry.customer_id == "c-1" and entry.occurred_at == T0
    assert entry.amount == eur("28.99")  # 20.00 + 8.99
    assert entry.reference("order") == "o-1"
    assert "o-1" in entry.summary and "28.99 EUR" in entry.summary


def test_shipment_and_free_replacement_entries() -> None:
    normal = timeline_entry(shipped(), T0 + DAY)
    replacement = timeline_entry(shipped(replacement_for="r-2"), T0 + DAY)
    assert normal is not None and replacement is not None
    assert (normal.kind, normal.amount, normal.reference("shipment")) == (
        "order_shipped",
        eur("20.00"),
        "sh-1",
    )
    assert replacement.kind == "replacement_shipped"
    assert replacement.amount == eur("0")
    assert replacement.reference("remedy") == "r-2" and replacement.reference("shipment") == "sh-2"


def test_order_events_without_a_customer_refer_to_the_order() -> None:
    cancelled = timeline_entry(
        OrderCancelled(
            order_id="o-1",
            reason="customer asked",
            released=[QuantityLine(line_no=1, sku="A", quantity=1)],
            cancelled_at=T0,
        ),
        T0,
    )
    delivered = timeline_entry(OrderDelivered(order_id="o-1", shipment_id="sh-1", delivered_at=T0), T0)
    assert cancelled is not None and delivered is not None
    assert (cancelled.kind, cancelled.customer_id, cancelled.reference("order")) == (
        "order_cancelled",
        None,
        "o-1",
    )
    assert "customer asked" in cancelled.summary
    assert (delivered.kind, delivered.reference("shipment")) == ("order_delivered", "sh-1")


def test_billing_entries() -> None:
    issued = timeline_entry(invoice(), T0)
    paid = timeline_entry(payment("150.00", {"inv-1": "121.00", "inv-2": "20.00"}, "9.00"), T0)
    credit = timeline_entry(credit_note("30.00"), T0)
    written_off = timeline_entry(
        InvoiceWrittenOff(
            invoice_id="inv-1",
            customer_id="c-1",
            amount=eur("5"),
            reason="small",
            written_off_on=dt.date(2026, 5, 1),
        ),
        T0,
    )
    refund = timeline_entry(
        RefundIssued(refund_id="rf-1", customer_id="c-1", amount=eur("9"), refunded_on=dt.date(2026, 3, 9)),
        T0,
    )
    invoice_paid = timeline_entry(
        InvoicePaid(invoice_id="inv-1", customer_id="c-1", paid_on=dt.date(2026, 3, 4)), T0
    )
    assert issued is not None and paid is not None and credit is not None
    assert written_off is not None and refund is not None and invoice_paid is not None
    assert (issued.kind, issued.amount, issued.reference("invoice")) == (
        "invoice_issued",
        eur("121"),
        "inv-1",
    )
    assert "INV-2026-inv-1" in issued.summary
    assert paid.kind == "payment_received" and paid.amount == eur("150")
    assert paid.references_of("invoice") == ["inv-1", "inv-2"]
    assert "9.00 EUR unapplied" in paid.summary
    assert (credit.kind, credit.reference("credit_note"), credit.reference("remedy")) == (
        "credit_note_issued",
        "cn-1",
        "r-1",
    )
    assert credit.reference("ticket") == "t-1"
    assert (written_off.kind, written_off.amount) == ("invoice_written_off", eur("5"))
    assert (refund.kind, refund.amount) == ("refund_issued", eur("9"))
    assert invoice_paid.kind == "invoice_paid"


def test_support_entries() -> None:
    opened = TicketOpened(
        ticket_id="t-1",
        customer_id="c-1",
        order_id="o-1",
        channel="email",
        subject="Vase broken",
        description="",
        priority="high",
        opened_at=T0,
        first_response_due=T0,
        resolution_due=T0,
    )
    entry = timeline_entry(opened, T0)
    assert entry is not None
    assert entry.kind == "ticket_opened" and entry.reference("order") == "o-1"
    assert entry.reference("invoice") is None
    assert "Vase broken" in entry.summary
    resolved = timeline_entry(
        TicketResolved(ticket_id="t-1", customer_id="c-1", resolved_at=T0, resolution="ok"), T0
    )
    assert resolved is not None and resolved.kind == "ticket_resolved"
    rated = timeline_entry(SatisfactionRated(ticket_id="t-1", customer_id="c-1", score=4), T0)
    assert rated is not None and "4/5" in rated.summary


def test_events_the_agent_does_not_need_have_no_entry() -> None:
    assert timeline_entry(StockReserved(order_id="o-1", line_no=1, sku="A", quantity=1), T0) is None
    assert (
        timeline_entry(TicketNoteAdded(ticket_id="t-1", customer_id="c-1", author_id="a", body="x"), T0)
        is None
    )


# remedy outcomes from other services ----------------------------------------------------


def test_remedy_outcomes_from_billing_and_orders() -> None:
    credit = remedy_outcome_of(credit_note("10"))
    reship = remedy_outcome_of(shipped(replacement_for="r-2"))
    assert credit is not None and (credit.remedy_id, credit.kind, credit.reference) == (
        "r-1",
        "credit",
        "cn-1",
    )
    assert reship is not None and (reship.remedy_id, reship.kind, reship.reference) == (
        "r-2",
        "reshipment",
        "sh-2",
    )
    assert remedy_outcome_of(credit_note("10", remedy_id=None)) is None
    assert remedy_outcome_of(shipped()) is None
