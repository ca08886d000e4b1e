"""Billing's read model of the ledger's chart of accounts (``ledger_chart``), kept from the chart
events on ``backoffice.ledger`` by billing's ledger consumer (``adapters/consumers.py``)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.chart import AccountClosed, AccountOpened, AccountRenamed, AccountType
from backoffice_events.consumer import ConsumedEvent, Handler

from ..domain.chart import ChartAccount


async def chart_accounts(conn: AsyncConnection, codes: Iterable[str]) -> dict[str, ChartAccount]:
    """The accounts of the chart among ``codes``."""
    rows = await conn.execute(
        text("SELECT code, name, account_type, role, open FROM ledger_chart WHERE code = ANY(:codes)"),
        {"codes": sorted(set(codes))},
    )
    return {r.code: ChartAccount(r.code, r.name, AccountType(r.account_type), r.role, r.open) for r in rows}


async def on_account_opened(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
    event = consumed.event
    assert isinstance(event, AccountOpened)
    await conn.execute(
        text(
            "INSERT INTO ledger_chart (code, name, account_type, role, open)"
            " VALUES (:code, :name, :type, :role, true) ON CONFLICT (code) DO UPDATE"
            " SET name = EXCLUDED.name, account_type = EXCLUDED.account_type, role = EXCLUDED.role"
        ),
        {"code": event.code, "name": event.name, "type": event.account_type.value, "role": event.role},
    )


async def on_account_renamed(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
    event = consumed.event
    assert isinstance(event, AccountRenamed)
    await conn.execute(
        text("UPDATE ledger_chart SET name = :name WHERE code = :code"),
        {"code": event.code, "name": event.name},
    )


async def on_account_closed(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
    event = consumed.event
    assert isinstance(event, AccountClosed)
    await conn.execute(text("UPDATE ledger_chart SET open = false WHERE code = :code"), {"code": event.code})


CHART_HANDLERS: dict[type[EventModel], Handler] = {
    AccountOpened: on_account_opened,
    AccountRenamed: on_account_renamed,
    AccountClosed: on_account_closed,
}
"""The chart events and what each does to the read model."""
