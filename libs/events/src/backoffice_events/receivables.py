"""The receivables rules: how invoice and credit-note amounts are computed and checked, and how
each money event moves what an invoice still owes.

Pure Python (no I/O, no framework), shared by billing (which computes the amounts), the
ledger (which books them) and support (which shows them), so the three can never disagree.

Rounding: one rule everywhere, half up (away from zero) to the currency's minor units, per
line, never on an unrounded total:

* ``net = round(quantity * unit_price * (1 - discount_percent / 100))``
* ``vat = round(net * vat_rate)``, ``gross = net + vat``
* an invoice's totals are the sums of its rounded lines; its VAT breakdown is, per rate,
  the sum of the lines' net (``taxable``) and VAT.

Credits by line (see ``credit_lines``): each credited line takes VAT at its own rate; the
last credit of a line takes exactly what is left of its net and VAT, so crediting an invoice
in full reverses exactly its VAT per rate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .catalog.base import EventModel
from .catalog.billing import (
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
    VatRateAmount,
)
from .catalog.payables import BillLine, SupplierBillApproved, SupplierPaymentMade
from .money import Money, format_amount

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)


class ReceivablesError(ValueError):
    """A money event or a credit request that breaks a receivables rule. ``rule`` is a stable
    kebab-case code and ``field`` the part at fault; each service maps it to its own error
    (billing: a 4xx problem, ledger: ``PostingError``, support: a dead letter)."""

    def __init__(self, detail: str, *, rule: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule = rule
        self.field = field


# line amounts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineAmounts:
    """The rounded amounts of one invoice line."""

    net: Money
    vat: Money
    gross: Money


def line_net(quantity: int, unit_price: Money, discount_percent: Decimal = _ZERO) -> Money:
    """A line's net: ``round(quantity * unit_price * (1 - discount_percent / 100))``, half up."""
    return (unit_price * quantity * (_ONE - discount_percent / _HUNDRED)).rounded()


def line_amounts(
    quantity: int, unit_price: Money, discount_percent: Decimal, vat_rate: Decimal
) -> LineAmounts:
    """Price one line: ``net = line_net(...)``, ``vat = round(net * vat_rate)``,
    ``gross = net + vat`` (half up, per line)."""
    net = line_net(quantity, unit_price, discount_percent)
    vat = (net * vat_rate).rounded()
    return LineAmounts(net=net, vat=vat, gross=net + vat)


def vat_breakdown(lines: Iterable[InvoiceLine | CreditNoteLine], currency: str) -> list[VatRateAmount]:
    """Per VAT rate (ascending): the lines' taxable net and VAT, summed from the rounded lines."""
    totals: dict[Decimal, tuple[Money, Money]] = {}
    for line in lines:
        # Decimal("0.25") and Decimal("0.250") are one rate: key on the normalised value.
        rate = line.vat_rate.normalize()
        taxable, vat = totals.get(rate, (Money.zero(currency), Money.zero(currency)))
        totals[rate] = (taxable + line.net, vat + line.vat)
    return [
        VatRateAmount(vat_rate=rate, taxable=taxable, vat=vat)
        for rate, (taxable, vat) in sorted(totals.items())
    ]


# credits by line -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineCredited:
    """What earlier credit notes took from one invoice line."""

    net: Money
    vat: Money
    quantity: int = 0

    @property
    def gross(self) -> Money:
        return self.net + self.vat

    def plus(self, line: CreditNoteLine) -> LineCredited:
        """This plus one more credited line."""
        return LineCredited(self.net + line.net, self.vat + line.vat, self.quantity + (line.quantity or 0))


@dataclass(frozen=True, slots=True)
class LineCreditRequest:
    """Credit one invoice line: by ``quantity`` (units returned) or by ``amount`` (gross)."""

    line_no: int
    quantity: int | None = None
    amount: Money | None = None


@dataclass(frozen=True, slots=True)
class Creditable:
    """What is still creditable on one line."""

    net: Money
    vat: Money
    quantity: int

    @property
    def gross(self) -> Money:
        return self.net + self.vat


def creditable(line: InvoiceLine, credited: LineCredited | None) -> Creditable:
    """The line's net, VAT and quantity minus what earlier credits took (no units are left once
    its net and VAT are all credited)."""
    done = credited or LineCredited(Money.zero(line.net.currency), Money.zero(line.net.currency))
    net, vat = line.net - done.net, line.vat - done.vat
    # A line whose money is all credited (e.g. by amount) has no units left to credit either.
    units = max(0, line.quantity - done.quantity) if net.is_positive or vat.is_positive else 0
    return Creditable(net, vat, units)


def credited_by_line(notes: Iterable[CreditNoteIssued]) -> dict[int, LineCredited]:
    """Fold credit notes into what each invoice line has had credited."""
    result: dict[int, LineCredited] = {}
    for note in notes:
        for line in note.lines:
            current = result.get(line.line_no) or LineCredited(
                Money.zero(line.net.currency), Money.zero(line.net.currency)
            )
            result[line.line_no] = current.plus(line)
    return result


def _clamp(amount: Money, low: Money, high: Money) -> Money:
    if amount < low:
        return low
    return high if amount > high else amount


def _credit_remainder(line: InvoiceLine, left: Creditable, quantity: int | None) -> CreditNoteLine:
    return _credit_line(line, left.net, left.vat, quantity)


def _credit_line(line: InvoiceLine, net: Money, vat: Money, quantity: int | None) -> CreditNoteLine:
    return CreditNoteLine(
        line_no=line.line_no,
        sku=line.sku,
        description=line.description,
        quantity=quantity,
        vat_rate=line.vat_rate,
        net=net,
        vat=vat,
        gross=net + vat,
    )


def _by_quantity(
    line: InvoiceLine, done: LineCredited, left: Creditable, quantity: int, field: str
) -> CreditNoteLine:
    if quantity < 1:
        raise ReceivablesError(
            "a credited quantity must be at least 1", rule="quantity-not-positive", field=field
        )
    if quantity > left.quantity:
        raise ReceivablesError(
            f"line {line.line_no} has only {left.quantity} of {line.quantity} units left to credit",
            rule="credit-exceeds-line",
            field=field,
        )
    if quantity == left.quantity:
        return _credit_remainder(line, left, quantity)  # the last units take what is left, exactly
    # Cumulative: the credited net after this credit is the rounded share of the units credited
    # by then, so partial credits never drift from the line's own rounding.
    target_net = Money(
        line.net.amount * (done.quantity + quantity) / line.quantity, line.net.currency
    ).rounded()
    zero = Money.zero(line.net.currency)
    net = _clamp(target_net - done.net, zero, left.net)
    target_vat = ((done.net + net) * line.vat_rate).rounded().min(line.vat)
    vat = _clamp(target_vat - done.vat, zero, left.vat)
    return _credit_line(line, net, vat, quantity)


def _by_amount(line: InvoiceLine, left: Creditable, amount: Money, field: str) -> CreditNoteLine:
    if amount.currency != line.gross.currency:
        raise ReceivablesError(
            f"amount is in {amount.currency}, the invoice in {line.gross.currency}",
            rule="currency-mismatch",
            field=f"{field}.currency",
        )
    if not amount.is_positive:
        raise ReceivablesError("a credited amount must be positive", rule="amount-not-positive", field=field)
    if amount.rounded() != amount:
        raise ReceivablesError(
            f"{amount} has more decimals than {amount.currency} allows", rule="too-many-decimals", field=field
        )
    if amount > left.gross:
        raise ReceivablesError(
            f"only {left.gross} of line {line.line_no} can still be credited",
            rule="credit-exceeds-line",
            field=field,
        )
    if amount == left.gross:
        return _credit_remainder(line, left, None)
    # VAT included in a gross amount at the line's rate: net = round(amount / (1 + rate)).
    net = Money(amount.amount / (_ONE + line.vat_rate), amount.currency).rounded().min(left.net)
    vat = amount - net
    if vat > left.vat:  # a cent of rounding against what is left: keep within both
        vat = left.vat
        net = amount - vat
    return _credit_line(line, net, vat, None)


def credit_lines(
    lines: Sequence[InvoiceLine],
    credited: Mapping[int, LineCredited],
    requests: Sequence[LineCreditRequest] | None,
) -> list[CreditNoteLine]:
    """The credit-note lines for ``requests`` against an invoice's ``lines``, given what earlier
    credits took (``credited`` by line number). ``None`` or ``[]`` credits everything still
    creditable.

    Per line, VAT is at the line's own rate:

    * by quantity ``q``: the credited net after this credit is
      ``round(line.net * (q + units credited before) / line.quantity)``, this credit's net is that
      minus the net credited before; VAT likewise ``round(net credited by then * rate)``, never
      beyond the line's VAT;
    * by gross amount ``a``: ``net = round(a / (1 + rate))``, ``vat = a - net``;
    * the last credit of a line (the remaining units, or the remaining gross) takes exactly the
      remaining net and VAT.

    Rules: ``unknown-invoice-line``, ``credit-line-twice``, ``credit-exceeds-line``,
    ``credit-quantity-or-amount`` (exactly one of them), ``quantity-not-positive``,
    ``amount-not-positive``, ``too-many-decimals``, ``currency-mismatch``,
    ``nothing-to-credit`` (the result would credit nothing).
    """
    by_no = {line.line_no: line for line in lines}
    currency = lines[0].gross.currency if lines else "EUR"
    zero = Money.zero(currency)
    result: list[CreditNoteLine] = []
    if not requests:
        for whole in lines:
            left = creditable(whole, credited.get(whole.line_no))
            if left.net.is_positive or left.vat.is_positive:
                result.append(_credit_remainder(whole, left, left.quantity or None))
    else:
        seen: set[int] = set()
        for i, request in enumerate(requests):
            field = f"lines[{i}]"
            line = by_no.get(request.line_no)
            if line is None:
                raise ReceivablesError(
                    f"the invoice has no line {request.line_no}",
                    rule="unknown-invoice-line",
                    field=f"{field}.line_no",
                )
            if request.line_no in seen:
                raise ReceivablesError(
                    f"line {request.line_no} is named twice",
                    rule="credit-line-twice",
                    field=f"{field}.line_no",
                )
            seen.add(request.line_no)
            if (request.quantity is None) == (request.amount is None):
                raise ReceivablesError(
                    "credit a line by quantity or by amount, not both or neither",
                    rule="credit-quantity-or-amount",
                    field=field,
                )
            done = credited.get(line.line_no) or LineCredited(zero, zero)
            left = creditable(line, done)
            if request.quantity is not None:
                result.append(_by_quantity(line, done, left, request.quantity, f"{field}.quantity"))
            else:
                assert request.amount is not None
                result.append(_by_amount(line, left, request.amount, f"{field}.amount"))
    if not any(line.gross.is_positive for line in result):
        raise ReceivablesError(
            "nothing is left to credit on these lines", rule="nothing-to-credit", field="lines"
        )
    return result


def proportional_requests(
    lines: Sequence[InvoiceLine], credited: Mapping[int, LineCredited], amount: Money
) -> list[LineCreditRequest]:
    """Spread a gross ``amount`` over the lines in proportion to what each can still be
    credited (for amount-only credits, e.g. a support remedy of version 1): each line but the
    last with something left gets ``round(amount * its creditable gross / all creditable
    gross)``, the last takes the rest. Rule ``credit-exceeds-invoiced`` when ``amount`` is more
    than everything still creditable."""
    left = [(line, creditable(line, credited.get(line.line_no)).gross) for line in lines]
    left = [(line, gross) for line, gross in left if gross.is_positive]
    total = sum((gross for _, gross in left), Money.zero(amount.currency))
    if amount > total:
        raise ReceivablesError(
            f"only {total} of the invoice can still be credited",
            rule="credit-exceeds-invoiced",
            field="amount",
        )
    requests: list[LineCreditRequest] = []
    rest = amount
    for i, (line, gross) in enumerate(left):
        share = rest if i == len(left) - 1 else (amount * (gross.amount / total.amount)).rounded().min(rest)
        if share.is_positive:
            requests.append(LineCreditRequest(line.line_no, amount=share))
        rest -= share
    return requests


# open amounts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenAmountMovement:
    """A change to what an invoice still owes: positive raises it, negative settles it."""

    invoice_id: str
    customer_id: str
    amount: Money
    reason: str  # issued | payment | unallocated | credit-note | write-off


def open_amount_movements(event: EventModel) -> list[OpenAmountMovement]:
    """How ``event`` moves the open amount of the invoices it names (empty for other events).

    ``InvoiceIssued`` +gross; ``PaymentPosted`` -each allocation; ``PaymentAllocated`` -amount;
    ``PaymentUnallocated`` +amount; ``CreditNoteIssued`` -applied (the unapplied part goes to
    the customer's unapplied cash, not the invoice); ``InvoiceWrittenOff`` -amount. So an
    invoice's open amount is ``gross - paid - credit applied - written off``.
    """
    match event:
        case InvoiceIssued():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, event.gross, "issued")]
        case PaymentPosted():
            return [
                OpenAmountMovement(a.invoice_id, event.customer_id, -a.amount, "payment")
                for a in event.allocations
            ]
        case PaymentAllocated():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, -event.amount, "payment")]
        case PaymentUnallocated():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, event.amount, "unallocated")]
        case CreditNoteIssued():
            if event.applied.is_zero:
                return []
            return [OpenAmountMovement(event.invoice_id, event.customer_id, -event.applied, "credit-note")]
        case InvoiceWrittenOff():
            return [OpenAmountMovement(event.invoice_id, event.customer_id, -event.amount, "write-off")]
        case _:
            return []


# consistency checks of money events ------------------------------------------------------


def _in_currency(amount: Money, currency: str, field: str) -> Money:
    if amount.currency != currency:
        raise ReceivablesError(
            f"{field} is in {amount.currency} but the event is in {currency}",
            rule="currency-mismatch",
            field=field,
        )
    return amount


def _not_negative(amount: Money, field: str) -> Money:
    if amount.amount < 0:
        raise ReceivablesError(f"{field} {amount} is negative", rule="amount-negative", field=field)
    return amount


def _positive(amount: Money, field: str) -> Money:
    if not amount.amount > 0:
        raise ReceivablesError(f"{field} {amount} must be positive", rule="amount-not-positive", field=field)
    return amount


def _must_equal(
    actual: Decimal, expected: Decimal, currency: str, rule: str, detail: str, field: str
) -> None:
    if actual != expected:
        raise ReceivablesError(
            f"{detail}: {format_amount(actual, currency)} != {format_amount(expected, currency)} {currency}",
            rule=rule,
            field=field,
        )


def _check_net_vat_gross(net: Money, vat: Money, gross: Money, where: str, field: str) -> None:
    _must_equal(
        net.amount + vat.amount,
        gross.amount,
        gross.currency,
        "totals-inconsistent",
        f"{where} net + vat != gross",
        field,
    )


def _check_totals(net: Money, vat: Money, gross: Money, currency: str, what: str) -> None:
    for name, amount in (("net", net), ("vat", vat), ("gross", gross)):
        _not_negative(_in_currency(amount, currency, name), name)
    _check_net_vat_gross(net, vat, gross, what, "gross")


def _check_lines(
    lines: Sequence[InvoiceLine | BillLine | CreditNoteLine],
    currency: str,
    net: Money,
    vat: Money,
    gross: Money,
    what: str,
) -> None:
    """Every line in ``currency`` with net + vat == gross, and the lines adding up to the totals."""
    net_sum = vat_sum = gross_sum = _ZERO
    for i, line in enumerate(lines):
        where = f"lines[{i}]"
        _check_net_vat_gross(
            _in_currency(line.net, currency, f"{where}.net"),
            _in_currency(line.vat, currency, f"{where}.vat"),
            _in_currency(line.gross, currency, f"{where}.gross"),
            f"{what} line {line.line_no}",
            f"{where}.gross",
        )
        net_sum += line.net.amount
        vat_sum += line.vat.amount
        gross_sum += line.gross.amount
    for name, line_sum, total in (("net", net_sum, net), ("vat", vat_sum, vat), ("gross", gross_sum, gross)):
        _must_equal(
            line_sum,
            total.amount,
            currency,
            "totals-inconsistent",
            f"sum of line {name} != {what} {name}",
            name,
        )


def _check_credit_note(event: CreditNoteIssued) -> None:
    currency = event.gross.currency
    _check_totals(event.net, event.vat, event.gross, currency, "credit note")
    applied = _not_negative(_in_currency(event.applied, currency, "applied"), "applied")
    unapplied = _not_negative(_in_currency(event.unapplied, currency, "unapplied"), "unapplied")
    _must_equal(
        applied.amount + unapplied.amount,
        event.gross.amount,
        currency,
        "totals-inconsistent",
        "credit note applied + unapplied != gross",
        "applied",
    )
    if event.lines:  # version 1 credit notes (upcast) have no lines, only the breakdown
        _check_lines(event.lines, currency, event.net, event.vat, event.gross, "credit note")
        for i, line in enumerate(event.lines):
            _not_negative(line.net, f"lines[{i}].net")
            _not_negative(line.vat, f"lines[{i}].vat")
    taxable = vat = _ZERO
    for i, entry in enumerate(event.vat_breakdown):
        taxable += _in_currency(entry.taxable, currency, f"vat_breakdown[{i}].taxable").amount
        vat += _in_currency(entry.vat, currency, f"vat_breakdown[{i}].vat").amount
    _must_equal(
        taxable,
        event.net.amount,
        currency,
        "breakdown-inconsistent",
        "sum of breakdown taxable != net",
        "vat_breakdown",
    )
    _must_equal(
        vat,
        event.vat.amount,
        currency,
        "breakdown-inconsistent",
        "sum of breakdown vat != vat",
        "vat_breakdown",
    )
    if event.lines:
        expected = {e.vat_rate: (e.taxable, e.vat) for e in vat_breakdown(event.lines, currency)}
        stated = {
            (e.vat_rate.normalize() if e.vat_rate is not None else None): (e.taxable, e.vat)
            for e in event.vat_breakdown
        }
        if stated != expected:
            raise ReceivablesError(
                "the VAT breakdown does not match the credit note's lines per rate",
                rule="breakdown-inconsistent",
                field="vat_breakdown",
            )


def check_money_event(event: EventModel) -> None:
    """Refuse a money event whose own numbers are inconsistent: totals add up (net + VAT =
    gross), lines add up to the totals, one currency, no negative totals; a payment's
    allocations plus unapplied equal its amount; a credit note's applied plus unapplied equal
    its gross and its lines and VAT breakdown add up. Other events pass. Raises
    ``ReceivablesError``; the ledger refuses to post, support dead-letters."""
    match event:
        case InvoiceIssued():
            _check_totals(event.net, event.vat, event.gross, event.currency, "invoice")
            _check_lines(event.lines, event.currency, event.net, event.vat, event.gross, "invoice")
        case PaymentPosted():
            currency = event.amount.currency
            amount = _positive(event.amount, "amount")
            unapplied = _not_negative(_in_currency(event.unapplied, currency, "unapplied"), "unapplied")
            allocated = _ZERO
            for i, allocation in enumerate(event.allocations):
                where = f"allocations[{i}].amount"
                allocated += _positive(_in_currency(allocation.amount, currency, where), where).amount
            _must_equal(
                allocated + unapplied.amount,
                amount.amount,
                currency,
                "allocation-inconsistent",
                "allocations + unapplied != payment amount",
                "unapplied",
            )
        case (
            PaymentAllocated()
            | PaymentUnallocated()
            | InvoiceWrittenOff()
            | RefundIssued()
            | SupplierPaymentMade()
        ):
            _positive(event.amount, "amount")
        case CreditNoteIssued():
            _check_credit_note(event)
        case SupplierBillApproved():
            currency = event.gross.currency
            _check_totals(event.net, event.vat, event.gross, currency, "supplier bill")
            _check_lines(event.lines, currency, event.net, event.vat, event.gross, "bill")
        case _:
            pass


def allocated_amount(event: PaymentPosted) -> Money:
    """The part of a payment allocated to invoices (the rest is unapplied cash)."""
    return sum((a.amount for a in event.allocations), Money.zero(event.amount.currency))
