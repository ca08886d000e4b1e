"""The shared receivables rules: line amounts, VAT breakdown, credits by line, open-amount
movements and the consistency checks of money events."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.catalog import CATALOG
from backoffice_events.catalog.billing import (
    Allocation,
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    VatRateAmount,
)
from backoffice_events.money import Money
from backoffice_events.receivables import (
    LineCreditRequest,
    ReceivablesError,
    check_money_event,
    credit_lines,
    credited_by_line,
    line_amounts,
    line_net,
    open_amount_movements,
    proportional_requests,
    vat_breakdown,
)

D = Decimal


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def line(no: int, quantity: int, price: str, rate: str, discount: str = "0") -> InvoiceLine:
    amounts = line_amounts(quantity, eur(price), D(discount), D(rate))
    return InvoiceLine(
        line_no=no,
        sku=f"SKU-{no}",
        quantity=quantity,
        unit_price=eur(price),
        discount_percent=D(discount),
        vat_rate=D(rate),
        net=amounts.net,
        vat=amounts.vat,
        gross=amounts.gross,
    )


# The issue's case: 121.00 @ 21 % (100.00 net) and 100.00 @ 0 %.
MIXED = [line(1, 1, "100.00", "0.21"), line(2, 1, "100.00", "0")]


def note(lines: list[CreditNoteLine], applied: str | None = None) -> CreditNoteIssued:
    net = sum((x.net for x in lines), eur("0"))
    vat = sum((x.vat for x in lines), eur("0"))
    gross = net + vat
    return CreditNoteIssued(
        invoice_id="I1",
        customer_id="C1",
        credit_note_id="K1",
        number="CN-2026-000001",
        lines=lines,
        vat_breakdown=vat_breakdown(lines, "EUR"),
        net=net,
        vat=vat,
        gross=gross,
        applied=gross if applied is None else eur(applied),
        unapplied=eur("0") if applied is None else gross - eur(applied),
        reason="damaged",
        issue_date=dt.date(2026, 3, 1),
    )


def test_line_net_and_amounts_round_half_up_per_line() -> None:
    assert line_net(3, eur("0.33"), D("10")) == eur("0.89")  # 0.891
    assert line_net(1, eur("0.05"), D("50")) == eur("0.03")  # 0.025 rounds up
    amounts = line_amounts(1, eur("0.10"), D("50"), D("0.25"))
    # net 0.05, vat round(0.0125) = 0.01, gross 0.06
    assert (amounts.net, amounts.vat, amounts.gross) == (eur("0.05"), eur("0.01"), eur("0.06"))
    half = line_amounts(1, eur("0.02"), D("0"), D("0.25"))
    assert half.vat == eur("0.01")  # 0.005 rounds up


def test_vat_breakdown_sums_lines_per_rate() -> None:
    lines = [*MIXED, line(3, 2, "10.00", "0.210")]
    assert vat_breakdown(lines, "EUR") == [
        VatRateAmount(vat_rate=D("0"), taxable=eur("100.00"), vat=eur("0.00")),
        VatRateAmount(vat_rate=D("0.21"), taxable=eur("120.00"), vat=eur("25.20")),
    ]


def test_crediting_the_21_percent_line_reverses_its_own_vat() -> None:
    [credited] = credit_lines(MIXED, {}, [LineCreditRequest(1, amount=eur("121.00"))])
    assert (credited.net, credited.vat, credited.vat_rate) == (eur("100.00"), eur("21.00"), D("0.21"))


def test_no_lines_credits_everything_still_creditable() -> None:
    first = credit_lines(MIXED, {}, [LineCreditRequest(1, quantity=1)])
    rest = credit_lines(MIXED, credited_by_line([note(first)]), None)
    assert [(x.line_no, x.gross) for x in rest] == [(2, eur("100.00"))]


def test_partial_credits_by_quantity_end_exactly_on_the_line() -> None:
    three = [line(1, 3, "0.33", "0.25")]  # net 0.99, vat round(0.2475) = 0.25
    done: list[CreditNoteIssued] = []
    for _ in range(3):
        [part] = credit_lines(three, credited_by_line(done), [LineCreditRequest(1, quantity=1)])
        done.append(note([part]))
    assert sum((n.net for n in done), eur("0")) == eur("0.99")
    assert sum((n.vat for n in done), eur("0")) == eur("0.25")
    assert [n.lines[0].quantity for n in done] == [1, 1, 1]
    # cumulative rounding, then the remainder (docs/accounting.md, "Credit notes")
    assert [n.vat for n in done] == [eur("0.08"), eur("0.09"), eur("0.08")]


def test_amount_credit_extracts_vat_at_the_line_rate() -> None:
    [part] = credit_lines(MIXED, {}, [LineCreditRequest(1, amount=eur("60.50"))])
    assert (part.net, part.vat, part.gross) == (eur("50.00"), eur("10.50"), eur("60.50"))


@pytest.mark.parametrize(
    ("requests", "rule"),
    [
        ([LineCreditRequest(9, quantity=1)], "unknown-invoice-line"),
        ([LineCreditRequest(1, quantity=1), LineCreditRequest(1, quantity=1)], "credit-line-twice"),
        ([LineCreditRequest(1, quantity=2)], "credit-exceeds-line"),
        ([LineCreditRequest(1, amount=eur("121.01"))], "credit-exceeds-line"),
        ([LineCreditRequest(1)], "credit-quantity-or-amount"),
        ([LineCreditRequest(1, quantity=1, amount=eur("1.00"))], "credit-quantity-or-amount"),
        ([LineCreditRequest(1, quantity=0)], "quantity-not-positive"),
        ([LineCreditRequest(1, amount=eur("0"))], "amount-not-positive"),
        ([LineCreditRequest(1, amount=Money(D("1.001"), "EUR"))], "too-many-decimals"),
        ([LineCreditRequest(1, amount=Money.of("1.00", "USD"))], "currency-mismatch"),
    ],
)
def test_credit_refusals_name_the_rule_and_field(requests: list[LineCreditRequest], rule: str) -> None:
    with pytest.raises(ReceivablesError) as refused:
        credit_lines(MIXED, {}, requests)
    assert refused.value.rule == rule
    assert refused.value.field is not None and refused.value.field.startswith("lines[")


def test_a_fully_credited_line_has_nothing_left() -> None:
    done = credit_lines(MIXED, {}, None)
    with pytest.raises(ReceivablesError) as refused:
        credit_lines(MIXED, credited_by_line([note(done)]), None)
    assert refused.value.rule == "nothing-to-credit"


def test_proportional_spread_over_lines_takes_the_rest_on_the_last_line() -> None:
    requests = proportional_requests(MIXED, {}, eur("22.10"))
    # 22.10 x 121/221 = 12.10, the rest 10.00 on the 0 % line
    assert [(r.line_no, r.amount) for r in requests] == [(1, eur("12.10")), (2, eur("10.00"))]
    with pytest.raises(ReceivablesError) as refused:
        proportional_requests(MIXED, {}, eur("221.01"))
    assert refused.value.rule == "credit-exceeds-invoiced"


def _invoice(lines: list[InvoiceLine], **overrides: Money) -> InvoiceIssued:
    net = sum((x.net for x in lines), eur("0"))
    vat = sum((x.vat for x in lines), eur("0"))
    fields: dict[str, object] = {
        "invoice_id": "I1",
        "customer_id": "C1",
        "number": "INV-2026-000001",
        "order_id": "O1",
        "shipment_id": "S1",
        "issue_date": dt.date(2026, 3, 1),
        "due_date": dt.date(2026, 3, 31),
        "currency": "EUR",
        "lines": lines,
        "net": net,
        "vat": vat,
        "gross": net + vat,
    }
    fields.update(overrides)
    return InvoiceIssued.model_validate(fields)


def test_open_amount_movements_of_each_money_event() -> None:
    payment = PaymentPosted(
        payment_id="P1",
        customer_id="C1",
        amount=eur("50.00"),
        received_on=dt.date(2026, 3, 2),
        bank_transaction_id="B1",
        allocations=[Allocation(invoice_id="I1", amount=eur("40.00"))],
        unapplied=eur("10.00"),
    )
    events = [
        _invoice(MIXED),
        payment,
        PaymentAllocated(payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("5.00")),
        PaymentUnallocated(
            payment_id="P1", customer_id="C1", invoice_id="I1", amount=eur("5.00"), reason="x"
        ),
        note(credit_lines(MIXED, {}, [LineCreditRequest(2, amount=eur("30.00"))]), applied="20.00"),
        InvoiceWrittenOff(
            invoice_id="I1",
            customer_id="C1",
            amount=eur("1.00"),
            reason="x",
            written_off_on=dt.date(2026, 4, 1),
        ),
    ]
    moves = [(m.reason, m.amount) for e in events for m in open_amount_movements(e)]
    assert moves == [
        ("issued", eur("221.00")),
        ("payment", eur("-40.00")),
        ("payment", eur("-5.00")),
        ("unallocated", eur("5.00")),
        ("credit-note", eur("-20.00")),
        ("write-off", eur("-1.00")),
    ]


@pytest.mark.parametrize(
    ("overrides", "rule", "field"),
    [
        ({"gross": eur("220.00")}, "totals-inconsistent", "gross"),
        ({"net": eur("201.00"), "gross": eur("222.00")}, "totals-inconsistent", "net"),
        ({"net": eur("-1.00"), "vat": eur("0"), "gross": eur("-1.00")}, "amount-negative", "net"),
        ({"vat": Money.of("21.00", "USD")}, "currency-mismatch", "vat"),
    ],
)
def test_an_inconsistent_invoice_is_refused(overrides: dict[str, Money], rule: str, field: str) -> None:
    with pytest.raises(ReceivablesError) as refused:
        check_money_event(_invoice(MIXED, **overrides))
    assert (refused.value.rule, refused.value.field) == (rule, field)


def test_a_credit_note_whose_breakdown_does_not_match_its_lines_is_refused() -> None:
    good = note(credit_lines(MIXED, {}, None))
    check_money_event(good)
    swapped = good.model_copy(
        update={
            "vat_breakdown": [
                VatRateAmount(vat_rate=D("0.21"), taxable=eur("100.00"), vat=eur("0.00")),
                VatRateAmount(vat_rate=D("0"), taxable=eur("100.00"), vat=eur("21.00")),
            ]
        }
    )
    with pytest.raises(ReceivablesError) as refused:
        check_money_event(swapped)
    assert refused.value.rule == "breakdown-inconsistent"
    short = good.model_copy(update={"vat_breakdown": good.vat_breakdown[:1]})
    with pytest.raises(ReceivablesError) as refused:
        check_money_event(short)
    assert refused.value.rule == "breakdown-inconsistent"


def test_a_version_1_credit_note_decodes_with_one_breakdown_entry_of_unknown_rate() -> None:
    v1 = {
        "invoice_id": "I1",
        "customer_id": "C1",
        "credit_note_id": "K1",
        "number": "CN-2026-000001",
        "net": {"amount": "100.00", "currency": "EUR"},
        "vat": {"amount": "11.50", "currency": "EUR"},
        "gross": {"amount": "111.50", "currency": "EUR"},
        "applied": {"amount": "111.50", "currency": "EUR"},
        "unapplied": {"amount": "0.00", "currency": "EUR"},
        "reason": "old",
        "issue_date": "2026-01-05",
    }
    decoded = CATALOG.decode("backoffice.billing.credit_note_issued.v1", v1)
    assert isinstance(decoded, CreditNoteIssued)
    assert decoded.lines == []
    assert decoded.vat_breakdown == [VatRateAmount(vat_rate=None, taxable=eur("100.00"), vat=eur("11.50"))]
    check_money_event(decoded)
