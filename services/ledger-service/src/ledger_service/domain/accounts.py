"""Chart of accounts: the roles the posting rules need, a seeded default chart, and
expense accounts opened on demand from supplier-bill lines.

Expense account codes (rule ``expense-account-invalid``): 4 to 6 digits whose first digit is
5 or 6 (the expense classes 5xxx/6xxx, e.g. "6100" or "610010"), and not a code the chart
reserves for another role (6900 is bad debt, which only write-offs post to).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from .errors import PostingError


class AccountRole(StrEnum):
    """What an account is for; the posting rules address accounts by role, never by code."""

    CASH = "cash"
    ACCOUNTS_RECEIVABLE = "accounts_receivable"
    UNAPPLIED_CASH = "unapplied_cash"
    VAT_OUTPUT = "vat_output"
    VAT_INPUT = "vat_input"
    REVENUE = "revenue"
    SALES_RETURNS = "sales_returns"
    EXPENSE = "expense"
    ACCOUNTS_PAYABLE = "accounts_payable"
    BAD_DEBT = "bad_debt"
    # An account a bookkeeper opened that no posting rule addresses by role (e.g. a fixed
    # asset account supplier bills may post to); expense accounts they open have EXPENSE.
    OTHER = "other"


class AccountKind(StrEnum):
    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    REVENUE = "revenue"
    EXPENSE = "expense"


class Side(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


class PartyKind(StrEnum):
    """Whose subledger a line belongs to."""

    CUSTOMER = "customer"
    SUPPLIER = "supplier"


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """One account of the chart. ``subledger`` is set on control accounts whose lines must
    name a party (AR and unapplied cash per customer, AP per supplier)."""

    code: str
    name: str
    role: AccountRole
    kind: AccountKind
    normal_side: Side
    subledger: PartyKind | None = None


_EXPENSE_CODE = re.compile(r"^[56][0-9]{3,5}$")

# Roles held by exactly one account; EXPENSE is the only role with many accounts.
_SINGLE_ROLES = frozenset(AccountRole) - {AccountRole.EXPENSE, AccountRole.OTHER}

SEEDED_ACCOUNTS: tuple[Account, ...] = (
    Account(
        code="1000",
        name="Cash at bank",
        role=AccountRole.CASH,
        kind=AccountKind.ASSET,
        normal_side=Side.DEBIT,
    ),
    Account(
        code="1100",
        name="Accounts receivable (control)",
        role=AccountRole.ACCOUNTS_RECEIVABLE,
        kind=AccountKind.ASSET,
        normal_side=Side.DEBIT,
        subledger=PartyKind.CUSTOMER,
    ),
    Account(
        code="1400",
        name="VAT input (recoverable)",
        role=AccountRole.VAT_INPUT,
        kind=AccountKind.ASSET,
        normal_side=Side.DEBIT,
    ),
    Account(
        code="2000",
        name="Accounts payable (control)",
        role=AccountRole.ACCOUNTS_PAYABLE,
        kind=AccountKind.LIABILITY,
        normal_side=Side.CREDIT,
        subledger=PartyKind.SUPPLIER,
    ),
    Account(
        code="2100",
        name="Unapplied customer cash",
        role=AccountRole.UNAPPLIED_CASH,
        kind=AccountKind.LIABILITY,
        normal_side=Side.CREDIT,
        subledger=PartyKind.CUSTOMER,
    ),
    Account(
        code="2200",
        name="VAT output (payable)",
        role=AccountRole.VAT_OUTPUT,
        kind=AccountKind.LIABILITY,
        normal_side=Side.CREDIT,
    ),
    Account(
        code="4000",
        name="Revenue",
        role=AccountRole.REVENUE,
        kind=AccountKind.REVENUE,
        normal_side=Side.CREDIT,
    ),
    # A contra-revenue account: it lives among revenue but normally carries a debit.
    Account(
        code="4100",
        name="Sales returns and allowances",
        role=AccountRole.SALES_RETURNS,
        kind=AccountKind.REVENUE,
        normal_side=Side.DEBIT,
    ),
    Account(
        code="6900",
        name="Bad debt",
        role=AccountRole.BAD_DEBT,
        kind=AccountKind.EXPENSE,
        normal_side=Side.DEBIT,
    ),
)


def is_expense_code(code: str) -> bool:
    """Whether ``code`` has the shape of an expense account code (4-6 digits, 5xxx or 6xxx)."""
    return bool(_EXPENSE_CODE.match(code))


def expense_account(code: str, name: str | None = None) -> Account:
    """An expense account for a supplier-bill line's ``expense_account`` code.

    Raises ``PostingError`` (rule ``expense-account-invalid``) when the code is not 4-6 digits
    starting with 5 or 6. Reserved codes are refused by ``ChartOfAccounts.expense``.
    """
    if not is_expense_code(code):
        raise PostingError(
            f"expense account {code!r} is not 4-6 digits starting with 5 or 6",
            rule="expense-account-invalid",
            field="expense_account",
        )
    return Account(
        code=code,
        name=name or f"Expense {code}",
        role=AccountRole.EXPENSE,
        kind=AccountKind.EXPENSE,
        normal_side=Side.DEBIT,
    )


class ChartOfAccounts:
    """An immutable chart: accounts by code, one account per single role, and expense
    accounts that need not be listed in advance (any valid, unreserved expense code)."""

    __slots__ = ("_by_code", "_by_role")

    def __init__(self, accounts: Iterable[Account]) -> None:
        by_code: dict[str, Account] = {}
        by_role: dict[AccountRole, Account] = {}
        for account in accounts:
            if account.code in by_code:
                raise ValueError(f"account code {account.code} appears twice in the chart")
            by_code[account.code] = account
            if account.role in _SINGLE_ROLES:
                if account.role in by_role:
                    raise ValueError(f"role {account.role} is held by two accounts")
                by_role[account.role] = account
        missing = _SINGLE_ROLES - by_role.keys()
        if missing:
            raise ValueError(f"chart has no account for roles {sorted(missing)}")
        self._by_code: Mapping[str, Account] = MappingProxyType(by_code)
        self._by_role: Mapping[AccountRole, Account] = MappingProxyType(by_role)

    def __iter__(self) -> Iterator[Account]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def for_role(self, role: AccountRole) -> Account:
        """The account holding a single-account role (every role except ``expense``)."""
        if role is AccountRole.EXPENSE:
            raise ValueError("expense has many accounts; use ChartOfAccounts.expense(code)")
        return self._by_role[role]

    def code_for(self, role: AccountRole) -> str:
        """Code of the account holding ``role``."""
        return self.for_role(role).code

    def expense(self, code: str) -> Account:
        """The expense account ``code``: listed in the chart or opened on demand.

        Raises ``PostingError`` (``expense-account-invalid``) for a malformed code or one the
        chart holds for a different role (e.g. the bad-debt account).
        """
        listed = self._by_code.get(code)
        if listed is not None:
            # A bookkeeper's own asset account (no role) takes bill lines too, e.g. equipment.
            if listed.role is AccountRole.OTHER and listed.kind is AccountKind.ASSET:
                return listed
            if listed.role is not AccountRole.EXPENSE:
                raise PostingError(
                    f"account {code} is the {listed.role} account and cannot take bill lines",
                    rule="expense-account-invalid",
                    field="expense_account",
                )
            return listed
        return expense_account(code)

    def account(self, code: str) -> Account:
        """Look up any account by code, opening expense accounts on demand.

        Raises ``PostingError`` (``account-unknown``) for a code the chart does not know
        and that is not an expense code.
        """
        listed = self._by_code.get(code)
        if listed is not None:
            return listed
        if is_expense_code(code):
            return expense_account(code)
        raise PostingError(f"account {code!r} is not in the chart", rule="account-unknown")

    def with_accounts(self, *accounts: Account) -> ChartOfAccounts:
        """A new chart with ``accounts`` added or replaced (same code), e.g. named expense accounts."""
        merged = dict(self._by_code)
        for account in accounts:
            merged[account.code] = account
        return ChartOfAccounts(merged.values())


DEFAULT_CHART = ChartOfAccounts(SEEDED_ACCOUNTS)
"""The seeded chart every new ledger starts with."""
