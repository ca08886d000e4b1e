"""The customer history projection: customers, orders and their lines, invoices with their
open amounts, balances and the timeline, fed from order, billing and support events.

Every change is a sum or an upsert, so events of different aggregates may arrive in any
order (a payment before its invoice, a delivery before its order) and a rebuild from the
topics comes out the same. Redelivered events are skipped by the consumer's dedupe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    BillingAccountOpened,
    CreditNoteIssued,
    DunningNoticeIssued,
    InvoiceIssued,
    InvoiceLine,
    InvoiceOverdue,
    InvoicePaid,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
)
from backoffice_events.catalog.orders import (
    OrderCancelled,
    OrderDelivered,
    OrderPlaced,
    OrderShipped,
)
from backoffice_events.catalog.support import (
    CreditRemedyRequested,
    GoodwillNoteRecorded,
    ReshipmentRemedyRequested,
    RootCauseRecorded,
    SatisfactionRated,
    TicketClosed,
    TicketOpened,
    TicketReopened,
    TicketResolved,
)
from backoffice_events.consumer import ConsumedEvent, PermanentError
from backoffice_events.money import Money
from backoffice_events.receivables import (
    LineCredited,
    ReceivablesError,
    check_money_event,
    open_amount_movements,
)
from backoffice_platform.errors import InvalidInput
from backoffice_platform.pagination import decode_cursor, encode_cursor

from ..domain.history import TimelineEntry, timeline_entry
from .views import CustomerTimeline, OpenInvoiceView, TimelineItem

ORDER_EVENTS: tuple[type[EventModel], ...] = (OrderPlaced, OrderShipped, OrderCancelled, OrderDelivered)
BILLING_EVENTS: tuple[type[EventModel], ...] = (
    BillingAccountOpened,
    InvoiceIssued,
    PaymentPosted,
    PaymentAllocated,
    PaymentUnallocated,
    CreditNoteIssued,
    InvoiceWrittenOff,
    RefundIssued,
    InvoicePaid,
    InvoiceOverdue,
    DunningNoticeIssued,
)
TICKET_EVENTS: tuple[type[EventModel], ...] = (
    TicketOpened,
    RootCauseRecorded,
    CreditRemedyRequested,
    ReshipmentRemedyRequested,
    GoodwillNoteRecorded,
    TicketResolved,
    TicketReopened,
    TicketClosed,
    SatisfactionRated,
)
HISTORY_EVENTS = ORDER_EVENTS + BILLING_EVENTS + TICKET_EVENTS
"""Every event the history projection handles."""

_BUSINESS_TIMES = (
    "placed_at",
    "shipped_at",
    "cancelled_at",
    "delivered_at",
    "opened_at",
    "requested_at",
    "resolved_at",
    "reopened_at",
    "closed_at",
)


def occurred_at(event: EventModel, published_at: dt.datetime) -> dt.datetime:
    """When it happened in business terms: the event's own timestamp if it has one,
    else the time it was recorded (events that only carry a date, or none)."""
    for name in _BUSINESS_TIMES:
        value = getattr(event, name, None)
        if isinstance(value, dt.datetime):
            return value
    return published_at


def _money(amount: Any, currency: str) -> Money:
    return Money(Decimal(amount), currency.strip()).rounded()


# projection ----------------------------------------------------------------------------


async def project_history(conn: AsyncConnection, consumed: ConsumedEvent) -> None:
    """Consumer handler: apply one order, billing or ticket event to the history tables.

    A money event the ledger would refuse (inconsistent totals or lines, mixed currencies,
    negative totals: ``backoffice_events.receivables.check_money_event``) is dead-lettered
    (``PermanentError``) and leaves no trace, so the history never shows what the books lack."""
    event = consumed.event
    try:
        check_money_event(event)
    except ReceivablesError as exc:
        raise PermanentError(f"{event.type} refused as the ledger would: {exc.rule}: {exc.detail}") from exc
    at = occurred_at(event, consumed.envelope.time)
    await _track(conn, event, at)
    entry = timeline_entry(event, at)
    if entry is not None:
        await _add_entry(conn, consumed.envelope.id, entry)


async def _track(conn: AsyncConnection, event: EventModel, at: dt.datetime) -> None:
    if isinstance(event, OrderPlaced):
        await _customer_seen(conn, event.customer_id, at, "order")
        await _order_seen(conn, event.order_id, event.customer_id, event.currency, event.placed_at)
        for line in event.lines:
            await conn.execute(
                text(
                    "INSERT INTO known_order_lines (order_id, line_no, sku, ordered_quantity)"
                    " VALUES (:o, :n, :s, :q) ON CONFLICT (order_id, line_no) DO UPDATE"
                    " SET sku = EXCLUDED.sku, ordered_quantity = EXCLUDED.ordered_quantity"
                ),
                {"o": event.order_id, "n": line.line_no, "s": line.sku, "q": line.quantity},
            )
    elif isinstance(event, OrderShipped):
        await _customer_seen(conn, event.customer_id, at, "order")
        await _order_seen(conn, event.order_id, event.customer_id, event.currency, None)
        if event.replacement_for is None:  # a free replacement is not part of what was ordered
            for shipped in event.lines:
                await conn.execute(
                    text(
                        "INSERT INTO known_order_lines (order_id, line_no, sku, shipped_quantity)"
                        " VALUES (:o, :n, :s, :q) ON CONFLICT (order_id, line_no) DO UPDATE"
                        " SET shipped_quantity = known_order_lines.shipped_quantity"
                        " + EXCLUDED.shipped_quantity"
                    ),
                    {"o": event.order_id, "n": shipped.line_no, "s": shipped.sku, "q": shipped.quantity},
                )
    elif isinstance(event, OrderCancelled):
        await conn.execute(
            text("UPDATE known_orders SET cancelled = true WHERE order_id = :o"), {"o": event.order_id}
        )
    elif isinstance(event, BillingAccountOpened):
        await _customer_seen(conn, event.customer_id, at, "billing")
    else:
        await _track_billing(conn, event, at)


async def _track_billing(conn: AsyncConnection, event: EventModel, at: dt.datetime) -> None:
    customer_id = getattr(event, "customer_id", None)
    if isinstance(event, TICKET_EVENTS) or customer_id is None:
        return
    await _customer_seen(conn, customer_id, at, "billing")
    if isinstance(event, InvoiceIssued):
        await conn.execute(
            text(
                "INSERT INTO known_invoices (invoice_id, customer_id, currency, number, order_id, gross,"
                " issue_date, due_date, lines) VALUES (:i, :c, :cur, :n, :o, :g, :issued, :due,"
                " CAST(:lines AS text)::jsonb)"
                " ON CONFLICT (invoice_id) DO UPDATE SET number = EXCLUDED.number,"
                " order_id = EXCLUDED.order_id, gross = EXCLUDED.gross, issue_date = EXCLUDED.issue_date,"
                " due_date = EXCLUDED.due_date, lines = EXCLUDED.lines"
            ),
            {
                "i": event.invoice_id,
                "c": event.customer_id,
                "cur": event.currency,
                "n": event.number,
                "o": event.order_id,
                "g": event.gross.amount,
                "issued": event.issue_date,
                "due": event.due_date,
                "lines": orjson.dumps([line.model_dump(mode="json") for line in event.lines]).decode(),
            },
        )
        await _recompute_open(conn, event.customer_id, event.gross.currency)
    elif isinstance(event, PaymentPosted | PaymentAllocated | PaymentUnallocated | CreditNoteIssued):
        if isinstance(event, CreditNoteIssued):
            await _credited_lines(conn, event)
        await _settle(conn, event, customer_id)
        await _add_unapplied(conn, customer_id, _unapplied_change(event))
    elif isinstance(event, InvoiceWrittenOff):
        await _settle(conn, event, customer_id)
    elif isinstance(event, RefundIssued):
        await _add_unapplied(conn, customer_id, -event.amount)
    elif isinstance(event, InvoicePaid):
        await conn.execute(
            text("UPDATE known_invoices SET paid_on = :d WHERE invoice_id = :i"),
            {"d": event.paid_on, "i": event.invoice_id},
        )


async def _customer_seen(conn: AsyncConnection, customer_id: str, at: dt.datetime, via: str) -> None:
    await conn.execute(
        text(
            "INSERT INTO customers (customer_id, first_seen_at, seen_via) VALUES (:c, :at, :via)"
            " ON CONFLICT (customer_id) DO UPDATE SET first_seen_at = LEAST(customers.first_seen_at,"
            " EXCLUDED.first_seen_at)"
        ),
        {"c": customer_id, "at": at, "via": via},
    )


async def _order_seen(
    conn: AsyncConnection, order_id: str, customer_id: str, currency: str, placed_at: dt.datetime | None
) -> None:
    await conn.execute(
        text(
            "INSERT INTO known_orders (order_id, customer_id, currency, placed_at)"
            " VALUES (:o, :c, :cur, :at) ON CONFLICT (order_id) DO UPDATE"
            " SET placed_at = coalesce(EXCLUDED.placed_at, known_orders.placed_at)"
        ),
        {"o": order_id, "c": customer_id, "cur": currency, "at": placed_at},
    )
    # Entries of events without a customer (cancelled, delivered) that came first.
    await conn.execute(
        text("UPDATE timeline_entries SET customer_id = :c WHERE customer_id IS NULL AND order_id = :o"),
        {"c": customer_id, "o": order_id},
    )


_SETTLE = (
    "INSERT INTO known_invoices (invoice_id, customer_id, currency, settled) VALUES (:i, :c, :cur, :a)"
    " ON CONFLICT (invoice_id) DO UPDATE SET settled = known_invoices.settled + EXCLUDED.settled"
    " RETURNING customer_id, currency"
)


async def _settle(conn: AsyncConnection, event: EventModel, customer_id: str) -> None:
    """Add the event's open-amount movements (the shared rule) to the invoices it names."""
    for movement in open_amount_movements(event):
        row = (
            await conn.execute(
                text(_SETTLE),
                {
                    "i": movement.invoice_id,
                    "c": customer_id,
                    "cur": movement.amount.currency,
                    "a": movement.amount.amount,
                },
            )
        ).one()
        await _recompute_open(conn, row.customer_id, row.currency.strip())


async def _credited_lines(conn: AsyncConnection, event: CreditNoteIssued) -> None:
    """Add what the credit note took from each invoice line."""
    for line in event.lines:
        await conn.execute(
            text(
                "INSERT INTO known_credited_lines (invoice_id, line_no, net, vat, quantity)"
                " VALUES (:i, :n, :net, :vat, :q) ON CONFLICT (invoice_id, line_no) DO UPDATE"
                " SET net = known_credited_lines.net + EXCLUDED.net,"
                " vat = known_credited_lines.vat + EXCLUDED.vat,"
                " quantity = known_credited_lines.quantity + EXCLUDED.quantity"
            ),
            {
                "i": event.invoice_id,
                "n": line.line_no,
                "net": line.net.amount,
                "vat": line.vat.amount,
                "q": line.quantity or 0,
            },
        )


def _unapplied_change(
    event: PaymentPosted | PaymentAllocated | PaymentUnallocated | CreditNoteIssued,
) -> Money:
    """How the event moves the customer's unapplied cash: a payment's or credit's surplus adds,
    applying cash takes away, reversing an allocation gives it back."""
    if isinstance(event, PaymentPosted):
        return event.unapplied
    if isinstance(event, CreditNoteIssued):
        return event.unapplied
    return -event.amount if isinstance(event, PaymentAllocated) else event.amount


async def _recompute_open(conn: AsyncConnection, customer_id: str, currency: str) -> None:
    # Recomputed from the invoices rather than added to: an invoice counts only once issued.
    await conn.execute(
        text(
            "INSERT INTO customer_balances (customer_id, currency, open_amount)"
            " SELECT :c, :cur, coalesce(sum(gross + settled), 0)"
            " FROM known_invoices WHERE customer_id = :c AND currency = :cur AND gross IS NOT NULL"
            " ON CONFLICT (customer_id, currency) DO UPDATE SET open_amount = EXCLUDED.open_amount"
        ),
        {"c": customer_id, "cur": currency},
    )


async def _add_unapplied(conn: AsyncConnection, customer_id: str, amount: Money) -> None:
    if amount.is_zero:
        return
    await conn.execute(
        text(
            "INSERT INTO customer_balances (customer_id, currency, unapplied) VALUES (:c, :cur, :a)"
            " ON CONFLICT (customer_id, currency) DO UPDATE"
            " SET unapplied = customer_balances.unapplied + EXCLUDED.unapplied"
        ),
        {"c": customer_id, "cur": amount.currency, "a": amount.amount},
    )


async def _add_entry(conn: AsyncConnection, event_id: str, entry: TimelineEntry) -> None:
    order_id = entry.reference("order")
    customer_id = entry.customer_id
    if customer_id is None and order_id is not None:
        customer_id = await conn.scalar(
            text("SELECT customer_id FROM known_orders WHERE order_id = :o"), {"o": order_id}
        )
    await conn.execute(
        text(
            "INSERT INTO timeline_entries (event_id, customer_id, order_id, kind, occurred_at, summary, refs,"
            " amount, currency) VALUES (:e, :c, :o, :k, :at, :s, CAST(:refs AS jsonb), :a, :cur)"
            " ON CONFLICT (event_id) DO NOTHING"
        ),
        {
            "e": event_id,
            "c": customer_id,
            "o": order_id,
            "k": entry.kind,
            "at": entry.occurred_at,
            "s": entry.summary,
            "refs": orjson.dumps([list(ref) for ref in entry.references]).decode(),
            "a": entry.amount.amount if entry.amount else None,
            "cur": entry.amount.currency if entry.amount else None,
        },
    )


# reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KnownOrder:
    order_id: str
    customer_id: str
    lines: dict[int, tuple[str, int]]
    """line_no -> (sku, shipped quantity)"""


@dataclass(frozen=True)
class KnownInvoice:
    invoice_id: str
    customer_id: str
    open_amount: Money
    lines: tuple[InvoiceLine, ...] = ()
    credited: dict[int, LineCredited] = field(default_factory=dict)


async def customer_known(conn: AsyncConnection, customer_id: str) -> bool:
    """Whether any order or billing event named the customer."""
    found = await conn.scalar(text("SELECT 1 FROM customers WHERE customer_id = :c"), {"c": customer_id})
    return found is not None


async def known_order(conn: AsyncConnection, order_id: str) -> KnownOrder | None:
    """An order seen on the orders topic, with its lines."""
    customer_id = await conn.scalar(
        text("SELECT customer_id FROM known_orders WHERE order_id = :o"), {"o": order_id}
    )
    if customer_id is None:
        return None
    rows = (
        await conn.execute(
            text("SELECT line_no, sku, shipped_quantity FROM known_order_lines WHERE order_id = :o"),
            {"o": order_id},
        )
    ).all()
    return KnownOrder(order_id, customer_id, {r.line_no: (r.sku, r.shipped_quantity) for r in rows})


_INVOICE = (
    "SELECT invoice_id, customer_id, currency, gross + settled AS open, coalesce(lines, '[]')::text AS lines"
    " FROM known_invoices WHERE invoice_id = :i AND gross IS NOT NULL"
)
_INVOICE_FOR_UPDATE = _INVOICE + " FOR UPDATE"


async def known_invoice(
    conn: AsyncConnection, invoice_id: str, *, for_update: bool = False
) -> KnownInvoice | None:
    """An issued invoice with what is still open on it. ``for_update`` locks the row so two
    credits on one invoice are checked one after the other."""
    row = (
        await conn.execute(text(_INVOICE_FOR_UPDATE if for_update else _INVOICE), {"i": invoice_id})
    ).one_or_none()
    if row is None:
        return None
    currency = row.currency.strip()
    credited = await conn.execute(
        text("SELECT line_no, net, vat, quantity FROM known_credited_lines WHERE invoice_id = :i"),
        {"i": invoice_id},
    )
    return KnownInvoice(
        row.invoice_id,
        row.customer_id,
        _money(row.open, currency),
        tuple(InvoiceLine.model_validate(line) for line in orjson.loads(row.lines)),
        {
            c.line_no: LineCredited(_money(c.net, currency), _money(c.vat, currency), c.quantity)
            for c in credited
        },
    )


_BEGINNING = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


def _references(pairs: Iterable[list[str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for kind, ref in pairs:
        grouped.setdefault(kind, []).append(ref)
    return grouped


async def read_timeline(
    conn: AsyncConnection, customer_id: str, cursor: str | None, limit: int
) -> CustomerTimeline:
    """The customer's timeline, oldest first, with open balance, unapplied cash and open invoices."""
    position = decode_cursor(cursor)
    # Without a cursor the page starts before any entry.
    params: dict[str, Any] = {"c": customer_id, "limit": limit + 1, "after_at": _BEGINNING, "after_id": 0}
    if position is not None:
        try:
            params["after_at"] = dt.datetime.fromisoformat(str(position["at"]))
            params["after_id"] = int(position["id"])
        except (KeyError, ValueError, TypeError):
            raise InvalidInput(
                "cursor is not one this API issued", field="cursor", rule="cursor-invalid"
            ) from None
    rows = (
        await conn.execute(
            text(
                "SELECT entry_id, kind, occurred_at, summary, refs::text AS refs, amount, currency"
                " FROM timeline_entries WHERE customer_id = :c"
                " AND (occurred_at, entry_id) > (:after_at, :after_id)"
                " ORDER BY occurred_at, entry_id LIMIT :limit"
            ),
            params,
        )
    ).all()
    items = [
        TimelineItem(
            kind=r.kind,
            occurred_at=r.occurred_at,
            summary=r.summary,
            references=_references(orjson.loads(r.refs)),
            amount=_money(r.amount, r.currency) if r.amount is not None else None,
        )
        for r in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor({"at": last.occurred_at.isoformat(), "id": last.entry_id})
    balances = (
        await conn.execute(
            text(
                "SELECT currency, open_amount, unapplied FROM customer_balances WHERE customer_id = :c"
                " ORDER BY currency"
            ),
            {"c": customer_id},
        )
    ).all()
    invoices = (
        await conn.execute(
            text(
                "SELECT invoice_id, number, due_date, currency, gross,"
                " gross + settled AS open FROM known_invoices"
                " WHERE customer_id = :c AND gross IS NOT NULL"
                " AND gross + settled > 0 ORDER BY due_date, invoice_id"
            ),
            {"c": customer_id},
        )
    ).all()
    return CustomerTimeline(
        customer_id=customer_id,
        open_balance=[_money(b.open_amount, b.currency) for b in balances],
        unapplied_cash=[_money(b.unapplied, b.currency) for b in balances if b.unapplied != 0],
        open_invoices=[
            OpenInvoiceView(
                invoice_id=i.invoice_id,
                number=i.number,
                due_date=i.due_date,
                gross=_money(i.gross, i.currency),
                open_amount=_money(i.open, i.currency),
            )
            for i in invoices
        ],
        items=items,
        next_cursor=next_cursor,
    )
