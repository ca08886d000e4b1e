"""Credits by invoice line: VAT at each line's rate, the cumulative rounding and the
remainder rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from ..catalog.billing import CreditNoteIssued, CreditNoteLine, InvoiceLine
from ..money import Money
from .errors import ReceivablesError

_ONE = Decimal(1)


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
