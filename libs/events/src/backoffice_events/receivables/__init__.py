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

from .amounts import LineAmounts, line_amounts, line_net, vat_breakdown
from .checks import check_money_event
from .credits import (
    Creditable,
    LineCredited,
    LineCreditRequest,
    credit_lines,
    creditable,
    credited_by_line,
    proportional_requests,
)
from .errors import ReceivablesError
from .movements import OpenAmountMovement, allocated_amount, open_amount_movements

__all__ = [
    "Creditable",
    "LineAmounts",
    "LineCreditRequest",
    "LineCredited",
    "OpenAmountMovement",
    "ReceivablesError",
    "allocated_amount",
    "check_money_event",
    "credit_lines",
    "creditable",
    "credited_by_line",
    "line_amounts",
    "line_net",
    "open_amount_movements",
    "proportional_requests",
    "vat_breakdown",
]
