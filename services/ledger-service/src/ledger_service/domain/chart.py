"""The published chart of accounts: the ledger owns it and publishes every change as an event
(``AccountOpened``, ``AccountRenamed``, ``AccountClosed`` on one stream, ``chart``).

Rules (plain Python, no I/O; the caller passes the current chart and the account's balance):
- the default chart is published once, as the first events of the stream: the system accounts
  (``SEEDED_ACCOUNTS``) and a few common accounts supplier bills post to (``STARTER_ACCOUNTS``);
- a new account has a code of 4 to 6 digits (``account-code-invalid``) not yet in the chart
  (``account-exists``), a name (``account-name-required``) and one of the five types;
- an account holding a system role (cash, receivables, VAT, bad debt, ...) cannot be closed
  (``account-is-system``), nor one with a balance (``account-has-balance``), nor one already
  closed (``account-closed``);
- an account's role and type never change; its name may (``AccountRenamed``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from backoffice_events.catalog.chart import AccountClosed, AccountOpened, AccountRenamed, AccountType
from backoffice_platform.errors import Conflict, DomainError, InvalidInput, NotFound

from .accounts import SEEDED_ACCOUNTS, Account, AccountKind, AccountRole, Side

_CODE = re.compile(r"^[0-9]{4,6}$")

_TYPE_OF_KIND = {
    AccountKind.ASSET: AccountType.ASSET,
    AccountKind.LIABILITY: AccountType.LIABILITY,
    AccountKind.EQUITY: AccountType.EQUITY,
    AccountKind.REVENUE: AccountType.INCOME,
    AccountKind.EXPENSE: AccountType.EXPENSE,
}
_KIND_OF_TYPE = {t: k for k, t in _TYPE_OF_KIND.items()}
_DEBIT_NORMAL = frozenset({AccountType.ASSET, AccountType.EXPENSE})

ChartEvent = AccountOpened | AccountRenamed | AccountClosed


@dataclass(frozen=True, slots=True)
class ChartAccount:
    """One account of the published chart, open or closed."""

    code: str
    name: str
    account_type: AccountType
    role: str | None
    open: bool = True

    @property
    def is_system(self) -> bool:
        """Held by a posting rule's role (cash, AR, VAT, bad debt, ...)."""
        return self.role is not None


STARTER_ACCOUNTS: tuple[ChartAccount, ...] = (
    ChartAccount("1500", "Equipment", AccountType.ASSET, None),
    ChartAccount("3000", "Share capital", AccountType.EQUITY, None),
    ChartAccount("3100", "Retained earnings", AccountType.EQUITY, None),
    ChartAccount("6000", "Purchases", AccountType.EXPENSE, None),
    ChartAccount("6100", "Freight and carriage", AccountType.EXPENSE, None),
    ChartAccount("6200", "Rent", AccountType.EXPENSE, None),
    ChartAccount("6300", "Utilities", AccountType.EXPENSE, None),
    ChartAccount("6400", "Office supplies", AccountType.EXPENSE, None),
    ChartAccount("6500", "Professional fees", AccountType.EXPENSE, None),
)
"""Bookkeeper's accounts every new company starts with (closable, unlike the system accounts)."""


def default_chart_events() -> list[AccountOpened]:
    """The default chart as the events that open it, by code: system accounts with their role,
    then the starter accounts."""
    system = [ChartAccount(a.code, a.name, _TYPE_OF_KIND[a.kind], a.role.value) for a in SEEDED_ACCOUNTS]
    return [
        AccountOpened(code=a.code, name=a.name, account_type=a.account_type, role=a.role)
        for a in sorted((*system, *STARTER_ACCOUNTS), key=lambda a: a.code)
    ]


def apply(chart: Mapping[str, ChartAccount], event: ChartEvent) -> ChartAccount:
    """The account as it is after ``event``."""
    match event:
        case AccountOpened():
            return ChartAccount(event.code, event.name, event.account_type, event.role)
        case AccountRenamed():
            return replace(chart[event.code], name=event.name)
        case AccountClosed():
            return replace(chart[event.code], open=False)


def open_account(
    chart: Mapping[str, ChartAccount], code: str, name: str, account_type: AccountType
) -> AccountOpened:
    """Open a bookkeeper's account (no system role)."""
    if not _CODE.match(code):
        raise InvalidInput(
            f"account code {code!r} is not 4 to 6 digits", field="code", rule="account-code-invalid"
        )
    if code in chart:
        raise Conflict(f"account {code} is already in the chart", field="code", rule="account-exists")
    if not name.strip():
        raise InvalidInput("an account needs a name", field="name", rule="account-name-required")
    return AccountOpened(code=code, name=name.strip(), account_type=account_type, role=None)


def _existing(chart: Mapping[str, ChartAccount], code: str) -> ChartAccount:
    account = chart.get(code)
    if account is None:
        raise NotFound(f"account {code} is not in the chart", field="code", rule="account-not-found")
    return account


def rename_account(chart: Mapping[str, ChartAccount], code: str, name: str) -> AccountRenamed:
    """Give an account (open or closed) a new name."""
    _existing(chart, code)
    if not name.strip():
        raise InvalidInput("an account needs a name", field="name", rule="account-name-required")
    return AccountRenamed(code=code, name=name.strip())


def close_account(
    chart: Mapping[str, ChartAccount], code: str, has_balance: bool, closed_by: str
) -> AccountClosed:
    """Close an account: it takes no more postings (billing refuses bill lines on it)."""
    account = _existing(chart, code)
    if not account.open:
        raise Conflict(f"account {code} is already closed", field="code", rule="account-closed")
    if account.is_system:
        raise DomainError(
            f"account {code} is the {account.role} account the posting rules use; it cannot be closed",
            field="code",
            rule="account-is-system",
        )
    if has_balance:
        raise DomainError(
            f"account {code} has a balance; move it to another account before closing",
            field="code",
            rule="account-has-balance",
        )
    return AccountClosed(code=code, closed_by=closed_by)


def ledger_account(account: ChartAccount) -> Account:
    """The posting rules' view of a bookkeeper's account (system accounts come from the seeded chart)."""
    role = AccountRole.EXPENSE if account.account_type is AccountType.EXPENSE else AccountRole.OTHER
    return Account(
        code=account.code,
        name=account.name,
        role=role,
        kind=_KIND_OF_TYPE[account.account_type],
        normal_side=Side.DEBIT if account.account_type in _DEBIT_NORMAL else Side.CREDIT,
    )


def bookkeepers_accounts(chart: Iterable[ChartAccount]) -> list[Account]:
    """The accounts without a system role, open or closed (postings already made to a closed
    account still post the same way when the books are rebuilt)."""
    return [ledger_account(a) for a in chart if not a.is_system]
