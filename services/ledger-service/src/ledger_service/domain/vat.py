"""VAT per rate, read from the books: what each journal line on a VAT, revenue, sales returns
or expense account that carries a VAT rate contributes to output or input VAT."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .accounts import AccountRole, ChartOfAccounts

_ZERO = Decimal(0)


class VatSide(StrEnum):
    OUTPUT = "output"  # VAT charged to customers (invoices less credit notes)
    INPUT = "input"  # VAT paid to suppliers (approved bills)


@dataclass(frozen=True, slots=True)
class TaxedLineTotal:
    """Debits and credits of the lines on one account at one rate, in one currency."""

    account: str
    currency: str
    vat_rate: Decimal | None
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True, slots=True)
class VatAtRate:
    """Taxable amount and VAT at one rate, on one side, in one currency."""

    side: VatSide
    currency: str
    vat_rate: Decimal | None  # None: a version 1 credit note, whose rate was not stated
    taxable: Decimal
    vat: Decimal


def vat_by_rate(lines: Iterable[TaxedLineTotal], chart: ChartOfAccounts) -> list[VatAtRate]:
    """Output and input VAT per (currency, rate).

    Output: ``taxable = revenue credits - sales returns debits``, ``vat = VAT output credits -
    debits`` (an invoice adds, its credit notes take away). Input: ``taxable = expense debits -
    credits``, ``vat = VAT input debits - credits``. Sorted by side, currency and rate (unknown
    rate first)."""
    output_vat = chart.code_for(AccountRole.VAT_OUTPUT)
    input_vat = chart.code_for(AccountRole.VAT_INPUT)
    output_base = {chart.code_for(AccountRole.REVENUE), chart.code_for(AccountRole.SALES_RETURNS)}
    totals: dict[tuple[VatSide, str, Decimal | None], tuple[Decimal, Decimal]] = {}
    for line in lines:
        rate = line.vat_rate.normalize() if line.vat_rate is not None else None
        credit_net = line.credit - line.debit
        if line.account == output_vat:
            side, taxable, vat = VatSide.OUTPUT, _ZERO, credit_net
        elif line.account in output_base:
            side, taxable, vat = VatSide.OUTPUT, credit_net, _ZERO
        elif line.account == input_vat:
            side, taxable, vat = VatSide.INPUT, _ZERO, -credit_net
        else:  # an expense line of a supplier bill
            side, taxable, vat = VatSide.INPUT, -credit_net, _ZERO
        key = (side, line.currency, rate)
        before = totals.get(key, (_ZERO, _ZERO))
        totals[key] = (before[0] + taxable, before[1] + vat)
    return [
        VatAtRate(side=side, currency=currency, vat_rate=rate, taxable=taxable, vat=vat)
        for (side, currency, rate), (taxable, vat) in sorted(
            totals.items(), key=lambda kv: (kv[0][0].value, kv[0][1], kv[0][2] is not None, kv[0][2] or _ZERO)
        )
    ]
