"""The chart of accounts, owned by the ledger (topic ``backoffice.ledger``, one stream
``chart``). Other services keep it as a read model, e.g. billing refuses supplier-bill lines
on accounts that are not open expense or asset accounts."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from .base import EventModel, register
from .topics import LEDGER


class AccountType(StrEnum):
    """The five account types of a chart of accounts."""

    ASSET = "asset"
    LIABILITY = "liability"
    EQUITY = "equity"
    INCOME = "income"
    EXPENSE = "expense"


class _ChartEvent(EventModel):
    topic: ClassVar[str] = LEDGER
    aggregate: ClassVar[str] = "chart"
    code: str


@register
class AccountOpened(_ChartEvent):
    """An account joins the chart. ``role`` names the posting rule that uses it (``cash``,
    ``accounts_receivable``, ``bad_debt``, ...) for the ledger's system accounts; None for
    accounts a bookkeeper opened."""

    event_type: ClassVar[str] = "backoffice.ledger.account_opened"
    name: str
    account_type: AccountType  # not ``type``: every event's ``type`` is its CloudEvents type
    role: str | None = None


@register
class AccountRenamed(_ChartEvent):
    event_type: ClassVar[str] = "backoffice.ledger.account_renamed"
    name: str


@register
class AccountClosed(_ChartEvent):
    """An account takes no more postings; its history stays."""

    event_type: ClassVar[str] = "backoffice.ledger.account_closed"
    closed_by: str
