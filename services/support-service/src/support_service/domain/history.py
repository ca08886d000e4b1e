"""A customer's history as the support agent sees it: the timeline line of each order, billing
and support event. What the customer still owes per invoice is projected by
``adapters.history`` with the shared receivables rules (``backoffice_events.receivables``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    DunningNoticeIssued,
    InvoiceIssued,
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
    OrderLine,
    OrderPlaced,
    OrderShipped,
    ShippedLine,
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
from backoffice_events.money import Money
from backoffice_events.receivables import line_net

Reference = tuple[str, str]
"""``(kind, id)``, e.g. ``("invoice", "inv-1")``."""


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a customer's history.

    ``customer_id`` is ``None`` for order events that do not carry it (cancelled,
    delivered): the projection finds the customer through the order reference.
    """

    kind: str
    occurred_at: dt.datetime
    customer_id: str | None
    summary: str
    references: tuple[Reference, ...] = ()
    amount: Money | None = None

    def reference(self, kind: str) -> str | None:
        """The first id of ``kind`` this entry refers to."""
        return next((ref for ref_kind, ref in self.references if ref_kind == kind), None)

    def references_of(self, kind: str) -> list[str]:
        """Every id of ``kind`` this entry refers to (a payment may pay several invoices)."""
        return [ref for ref_kind, ref in self.references if ref_kind == kind]


def _refs(*pairs: tuple[str, str | None]) -> tuple[Reference, ...]:
    return tuple((kind, ref) for kind, ref in pairs if ref)


def _lines_net(lines: Iterable[OrderLine | ShippedLine], currency: str) -> Money:
    # Net per line, rounded per line as an invoice would; VAT is billing's business.
    total = Money.zero(currency)
    for line in lines:
        total = total + line_net(line.quantity, line.unit_price, line.discount_percent)
    return total


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def timeline_entry(event: EventModel, occurred_at: dt.datetime) -> TimelineEntry | None:
    """The history line for ``event`` (``occurred_at`` is the event's time), or ``None`` for
    events an agent does not need in a customer's history (stock, notes, replies...)."""
    if isinstance(event, OrderPlaced):
        amount = _lines_net(event.lines, event.currency)
        return TimelineEntry(
            "order_placed",
            occurred_at,
            event.customer_id,
            f"Order {event.order_id} placed via {event.channel}: "
            f"{_plural(len(event.lines), 'line')}, {amount} net",
            _refs(("order", event.order_id)),
            amount,
        )
    if isinstance(event, OrderShipped):
        tracking = f", tracking {event.tracking_number}" if event.tracking_number else ""
        if event.replacement_for:
            return TimelineEntry(
                "replacement_shipped",
                occurred_at,
                event.customer_id,
                f"Free replacement for order {event.order_id} shipped with {event.carrier}{tracking}",
                _refs(
                    ("order", event.order_id),
                    ("shipment", event.shipment_id),
                    ("remedy", event.replacement_for),
                ),
                Money.zero(event.currency),
            )
        amount = _lines_net(event.lines, event.currency)
        return TimelineEntry(
            "order_shipped",
            occurred_at,
            event.customer_id,
            f"Order {event.order_id} shipped with {event.carrier}{tracking}: "
            f"{_plural(len(event.lines), 'line')}, {amount} net",
            _refs(("order", event.order_id), ("shipment", event.shipment_id)),
            amount,
        )
    if isinstance(event, OrderCancelled):
        return TimelineEntry(
            "order_cancelled",
            occurred_at,
            None,
            f"Order {event.order_id} cancelled: {event.reason}",
            _refs(("order", event.order_id)),
        )
    if isinstance(event, OrderDelivered):
        return TimelineEntry(
            "order_delivered",
            occurred_at,
            None,
            f"Shipment {event.shipment_id} of order {event.order_id} delivered",
            _refs(("order", event.order_id), ("shipment", event.shipment_id)),
        )
    return _billing_entry(event, occurred_at) or _support_entry(event, occurred_at)


def _billing_entry(event: EventModel, occurred_at: dt.datetime) -> TimelineEntry | None:
    if isinstance(event, InvoiceIssued):
        return TimelineEntry(
            "invoice_issued",
            occurred_at,
            event.customer_id,
            f"Invoice {event.number} issued for order {event.order_id}: {event.gross}, due {event.due_date}",
            _refs(("invoice", event.invoice_id), ("order", event.order_id), ("shipment", event.shipment_id)),
            event.gross,
        )
    if isinstance(event, PaymentPosted):
        applied = ", ".join(f"{a.amount} to {a.invoice_id}" for a in event.allocations) or "nothing applied"
        return TimelineEntry(
            "payment_received",
            occurred_at,
            event.customer_id,
            f"Payment of {event.amount} received: {applied}; {event.unapplied} unapplied",
            _refs(("payment", event.payment_id), *(("invoice", a.invoice_id) for a in event.allocations)),
            event.amount,
        )
    if isinstance(event, PaymentAllocated):
        return TimelineEntry(
            "payment_applied",
            occurred_at,
            event.customer_id,
            f"{event.amount} of unapplied cash applied to invoice {event.invoice_id}",
            _refs(("payment", event.payment_id), ("invoice", event.invoice_id)),
            event.amount,
        )
    if isinstance(event, PaymentUnallocated):
        return TimelineEntry(
            "payment_unapplied",
            occurred_at,
            event.customer_id,
            f"{event.amount} taken back from invoice {event.invoice_id}: {event.reason}",
            _refs(("payment", event.payment_id), ("invoice", event.invoice_id)),
            event.amount,
        )
    if isinstance(event, CreditNoteIssued):
        return TimelineEntry(
            "credit_note_issued",
            occurred_at,
            event.customer_id,
            f"Credit note {event.number} on invoice {event.invoice_id}: {event.gross} ({event.reason})",
            _refs(
                ("invoice", event.invoice_id),
                ("credit_note", event.credit_note_id),
                ("remedy", event.remedy_id),
                ("ticket", event.ticket_id),
            ),
            event.gross,
        )
    if isinstance(event, InvoiceWrittenOff):
        return TimelineEntry(
            "invoice_written_off",
            occurred_at,
            event.customer_id,
            f"{event.amount} of invoice {event.invoice_id} written off: {event.reason}",
            _refs(("invoice", event.invoice_id)),
            event.amount,
        )
    if isinstance(event, RefundIssued):
        return TimelineEntry(
            "refund_issued",
            occurred_at,
            event.customer_id,
            f"Refund of {event.amount} paid out" + (f": {event.reason}" if event.reason else ""),
            _refs(("refund", event.refund_id)),
            event.amount,
        )
    if isinstance(event, InvoicePaid):
        return TimelineEntry(
            "invoice_paid",
            occurred_at,
            event.customer_id,
            f"Invoice {event.invoice_id} paid in full on {event.paid_on}",
            _refs(("invoice", event.invoice_id)),
        )
    if isinstance(event, InvoiceOverdue):
        return TimelineEntry(
            "invoice_overdue",
            occurred_at,
            event.customer_id,
            f"Invoice {event.invoice_id} overdue since {event.due_date}: {event.open_amount} open",
            _refs(("invoice", event.invoice_id)),
            event.open_amount,
        )
    if isinstance(event, DunningNoticeIssued):
        return TimelineEntry(
            "dunning_notice_issued",
            occurred_at,
            event.customer_id,
            f"Dunning {event.level_name} for invoice {event.invoice_id}: {event.open_amount} open",
            _refs(("invoice", event.invoice_id)),
            event.open_amount,
        )
    return None


def _support_entry(event: EventModel, occurred_at: dt.datetime) -> TimelineEntry | None:
    if isinstance(event, TicketOpened):
        return TimelineEntry(
            "ticket_opened",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id} opened ({event.priority}, {event.channel}): {event.subject}",
            _refs(("ticket", event.ticket_id), ("order", event.order_id), ("invoice", event.invoice_id)),
        )
    if isinstance(event, RootCauseRecorded):
        return TimelineEntry(
            "root_cause_recorded",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id}: root cause {event.root_cause}",
            _refs(("ticket", event.ticket_id)),
        )
    if isinstance(event, CreditRemedyRequested):
        return TimelineEntry(
            "credit_requested",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id}: credit of {event.amount} on invoice {event.invoice_id} requested",
            _refs(("ticket", event.ticket_id), ("remedy", event.remedy_id), ("invoice", event.invoice_id)),
            event.amount,
        )
    if isinstance(event, ReshipmentRemedyRequested):
        return TimelineEntry(
            "reshipment_requested",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id}: free reshipment of {_plural(len(event.lines), 'line')} "
            f"of order {event.order_id} requested",
            _refs(("ticket", event.ticket_id), ("remedy", event.remedy_id), ("order", event.order_id)),
        )
    if isinstance(event, GoodwillNoteRecorded):
        return TimelineEntry(
            "goodwill_recorded",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id}: goodwill: {event.note}",
            _refs(("ticket", event.ticket_id), ("remedy", event.remedy_id)),
        )
    if isinstance(event, TicketResolved):
        return TimelineEntry(
            "ticket_resolved",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id} resolved" + (f": {event.resolution}" if event.resolution else ""),
            _refs(("ticket", event.ticket_id)),
        )
    if isinstance(event, TicketReopened):
        return TimelineEntry(
            "ticket_reopened",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id} reopened" + (f": {event.reason}" if event.reason else ""),
            _refs(("ticket", event.ticket_id)),
        )
    if isinstance(event, TicketClosed):
        return TimelineEntry(
            "ticket_closed",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id} closed",
            _refs(("ticket", event.ticket_id)),
        )
    if isinstance(event, SatisfactionRated):
        return TimelineEntry(
            "satisfaction_rated",
            occurred_at,
            event.customer_id,
            f"Ticket {event.ticket_id} rated {event.score}/5"
            + (f": {event.comment}" if event.comment else ""),
            _refs(("ticket", event.ticket_id)),
        )
    return None
