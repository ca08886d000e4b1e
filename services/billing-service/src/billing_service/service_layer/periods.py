"""The ledger's lock date as billing knows it, and the refusal of commands dated in a closed
period (``period-closed``, 409, naming the command's date field).

Billing learns the lock date from the ledger's ``PeriodClosed``/``PeriodReopened`` events
(consumer group ``billing-ledger``). Shipments and support's credit remedies are never
refused: they come from upstream, and the ledger posts them on its first open date.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.ledger import PeriodClosed, PeriodReopened
from backoffice_platform.errors import Conflict

_READ = text("SELECT lock_date FROM ledger_lock_date WHERE id = 1 FOR SHARE")
_WRITE = text(
    "UPDATE ledger_lock_date SET lock_date = :lock_date, period = :period, event_id = :event_id,"
    " updated_at = now() WHERE id = 1"
)


async def lock_date(conn: AsyncConnection) -> dt.date | None:
    """The lock date billing last heard of (None: no period closed); held until commit."""
    found: dt.date | None = await conn.scalar(_READ)
    return found


async def require_open(conn: AsyncConnection, on: dt.date, field: str) -> None:
    """Refuse (409 ``period-closed``) a command dated ``on`` on or before the lock date."""
    lock = await lock_date(conn)
    if lock is not None and on <= lock:
        raise Conflict(
            f"{field} {on} is in a closed period (the ledger is locked up to {lock})",
            field=field,
            rule="period-closed",
            extra={"lock_date": lock.isoformat()},
        )


async def learn_lock_date(conn: AsyncConnection, event: PeriodClosed | PeriodReopened, event_id: str) -> None:
    """Take the lock date a closing or reopening sets (the ledger's events arrive in order)."""
    await conn.execute(_WRITE, {"lock_date": event.lock_date, "period": event.period, "event_id": event_id})
