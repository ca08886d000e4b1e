"""Property: whatever the invoice and whatever the sequence of partial credits, no credit takes
more VAT per rate (or net per line) than was invoiced, and crediting everything reverses
exactly the invoice's VAT per rate."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backoffice_events.catalog.billing import CreditNoteLine, InvoiceLine
from backoffice_events.money import Money
from backoffice_events.receivables import (
    LineCredited,
    LineCreditRequest,
    ReceivablesError,
    credit_lines,
    creditable,
    line_amounts,
    vat_breakdown,
)

RATES = [Decimal("0"), Decimal("0.06"), Decimal("0.125"), Decimal("0.21"), Decimal("0.25")]


@st.composite
def invoice_lines(draw: st.DrawFn) -> list[InvoiceLine]:
    count = draw(st.integers(min_value=1, max_value=5))
    lines = []
    for no in range(1, count + 1):
        quantity = draw(st.integers(min_value=1, max_value=40))
        cents = draw(st.integers(min_value=1, max_value=200_000))
        price = Money(Decimal(cents) / 100, "EUR")
        discount = Decimal(draw(st.integers(min_value=0, max_value=1000))) / 10  # 0.0 .. 100.0 %
        rate = draw(st.sampled_from(RATES))
        amounts = line_amounts(quantity, price, discount, rate)
        lines.append(
            InvoiceLine(
                line_no=no,
                sku=f"S{no}",
                quantity=quantity,
                unit_price=price,
                discount_percent=discount,
                vat_rate=rate,
                net=amounts.net,
                vat=amounts.vat,
                gross=amounts.gross,
            )
        )
    return lines


# A credit step: per line, by quantity (units) or by a fraction of what is left (amount).
steps = st.lists(
    st.tuples(
        st.integers(min_value=1, max_value=5),
        st.booleans(),
        st.integers(min_value=1, max_value=100),
    ),
    min_size=0,
    max_size=12,
)


def _apply(credited: dict[int, LineCredited], part: CreditNoteLine) -> None:
    zero = Money.zero("EUR")
    credited[part.line_no] = (credited.get(part.line_no) or LineCredited(zero, zero)).plus(part)


def _per_rate(lines: list[InvoiceLine] | list[CreditNoteLine]) -> dict[Decimal | None, tuple[Money, Money]]:
    """Taxable and VAT per rate, leaving out rates with nothing on them (a 100 % discount)."""
    return {
        e.vat_rate: (e.taxable, e.vat)
        for e in vat_breakdown(lines, "EUR")
        if e.taxable.is_positive or e.vat.is_positive
    }


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=invoice_lines(), plan=steps)
def test_partial_credits_never_exceed_the_invoice_and_a_full_credit_reverses_its_vat_per_rate(
    lines: list[InvoiceLine], plan: list[tuple[int, bool, int]]
) -> None:
    by_no = {line.line_no: line for line in lines}
    credited: dict[int, LineCredited] = {}
    parts: list[CreditNoteLine] = []
    for line_no, by_quantity, size in plan:
        line = by_no.get(line_no)
        if line is None:
            continue
        left = creditable(line, credited.get(line_no))
        if by_quantity:
            if left.quantity == 0:
                continue
            request = LineCreditRequest(line_no, quantity=1 + (size - 1) % left.quantity)
        else:
            share = (left.gross * (Decimal(size) / 100)).rounded()
            if not share.is_positive:
                continue
            request = LineCreditRequest(line_no, amount=share)
        try:
            result = credit_lines(lines, credited, [request])
        except ReceivablesError as refused:
            # Only "nothing left" may refuse a request the plan kept within the line.
            assert refused.rule == "nothing-to-credit"
            continue
        for part in result:
            assert part.net.amount >= 0 and part.vat.amount >= 0
            assert part.vat_rate == by_no[part.line_no].vat_rate
            assert part.gross == part.net + part.vat
            _apply(credited, part)
            parts.append(part)
        for no, done in credited.items():  # never more net or VAT per line than invoiced
            assert done.net <= by_no[no].net and done.vat <= by_no[no].vat
        invoiced = {e.vat_rate: (e.taxable, e.vat) for e in vat_breakdown(lines, "EUR")}
        for rate, (taxable, vat) in _per_rate(parts).items():
            assert taxable <= invoiced[rate][0] and vat <= invoiced[rate][1]

    # Credit everything still creditable: together the credits reverse the invoice exactly.
    if any(creditable(line, credited.get(line.line_no)).gross.is_positive for line in lines):
        parts.extend(credit_lines(lines, credited, None))
    assert _per_rate(parts) == _per_rate(lines)
