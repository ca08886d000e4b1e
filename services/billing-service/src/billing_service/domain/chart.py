"""Which accounts a supplier-bill line may use, by the ledger's published chart of accounts.

Rule ``account-not-postable``: a bill line's ``expense_account`` must be an OPEN account of
type expense or asset that no posting rule holds for itself (cash, VAT input, bad debt, ...).
A code the chart does not know is refused the same way. Checked when a bill is entered and
again when it is approved (the account may have closed in between), so the ledger never
receives a bill it has to refuse.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from backoffice_events.catalog.chart import AccountType
from backoffice_events.catalog.payables import BillLine
from backoffice_platform.errors import DomainError

_BILLABLE_TYPES = frozenset({AccountType.EXPENSE, AccountType.ASSET})


@dataclass(frozen=True, slots=True)
class ChartAccount:
    """An account of the ledger's chart as billing knows it."""

    code: str
    name: str
    account_type: AccountType
    role: str | None
    open: bool = True


def why_not_postable(account: ChartAccount | None, code: str) -> str | None:
    """Why a bill line cannot post to ``code`` (None when it can)."""
    if account is None:
        return f"account {code} is not in the chart of accounts"
    if not account.open:
        return f"account {code} ({account.name}) is closed"
    if account.account_type not in _BILLABLE_TYPES:
        return f"account {code} ({account.name}) is a {account.account_type} account, not expense or asset"
    if account.role is not None:
        return f"account {code} ({account.name}) is the ledger's {account.role} account"
    return None


def check_bill_accounts(lines: Sequence[BillLine], chart: Mapping[str, ChartAccount]) -> None:
    """Refuse the first line whose account is not postable (``account-not-postable``, naming
    ``lines[i].expense_account``, i from 0 as entered)."""
    for i, line in enumerate(lines):
        reason = why_not_postable(chart.get(line.expense_account), line.expense_account)
        if reason is not None:
            raise DomainError(
                f"{reason}: bill lines post to open expense or asset accounts",
                field=f"lines[{i}].expense_account",
                rule="account-not-postable",
            )
