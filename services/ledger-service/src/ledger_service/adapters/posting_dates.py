"""The date each event counts on in the books, decided once per event and kept outside the
generations (``ledger_posting_dates``), so a rebuild posts every event where it was first
posted even after the lock date has moved.

An event whose own date is on or before the lock date (a late shipment's invoice in a closed
month) posts on the first open date; its entries keep the event's own date as
``document_date``, and its open-item movements move with it (reports read ``posted_on``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
)
from backoffice_events.catalog.payables import SupplierBillApproved, SupplierPaymentMade
from backoffice_events.store import driver

from ..domain.periods import posting_date
from .journal import PostedEvent

_DATE_FIELD: dict[type[EventModel], str] = {
    InvoiceIssued: "issue_date",
    CreditNoteIssued: "issue_date",
    PaymentPosted: "received_on",
    InvoiceWrittenOff: "written_off_on",
    RefundIssued: "refunded_on",
    SupplierBillApproved: "approved_on",
    SupplierPaymentMade: "paid_on",
    InvoicePaid: "paid_on",
    PaymentAllocated: "allocated_on",
    PaymentUnallocated: "unallocated_on",
}


_LOCK = "SELECT lock_date FROM ledger_lock WHERE id = 1"
_LOCK_SHARE = _LOCK + " FOR SHARE"


async def lock_date(db: Any, *, share: bool = False) -> dt.date | None:
    """The current lock date; ``share`` holds it until commit (a period close waits)."""
    found: dt.date | None = await db.fetchval(_LOCK_SHARE if share else _LOCK)
    return found


def moved(event: EventModel, on: dt.date) -> EventModel:
    """``event`` as if dated ``on`` (for its open-item movements)."""
    for kind in type(event).__mro__:
        name = _DATE_FIELD.get(kind)  # type: ignore[call-overload]
        if name is not None and hasattr(event, name):
            return event.model_copy(update={name: on})
    return event


async def date_postings(conn: Any, posted: Sequence[PostedEvent]) -> list[PostedEvent]:
    """``posted`` with every event on its decided posting date: the one recorded for it, or
    (first time) its own date moved past the lock date, then recorded."""
    dated = [p for p in posted if p.entries]
    if not dated:
        return list(posted)
    db = await driver(conn)
    lock = await lock_date(db, share=True)
    ids = [p.event_id for p in dated]
    own = [p.entries[0].posted_on for p in dated]
    await db.execute(
        "INSERT INTO ledger_posting_dates (event_id, document_date, posted_on)"
        " SELECT * FROM unnest($1::text[], $2::date[], $3::date[]) ON CONFLICT (event_id) DO NOTHING",
        ids,
        own,
        [posting_date(d, lock) for d in own],
    )
    rows = await db.fetch(
        "SELECT event_id, posted_on FROM ledger_posting_dates WHERE event_id = ANY($1::text[])", ids
    )
    decided: dict[str, dt.date] = {r["event_id"]: r["posted_on"] for r in rows}
    out: list[PostedEvent] = []
    for p in posted:
        on = decided.get(p.event_id)
        if on is None or not p.entries or on == p.entries[0].posted_on:
            out.append(p)
            continue
        entries = [dataclasses.replace(e, posted_on=on, document_date=e.posted_on) for e in p.entries]
        out.append(dataclasses.replace(p, entries=entries, posted_on=on))
    return out
