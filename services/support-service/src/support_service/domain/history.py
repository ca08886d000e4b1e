"""A customer's history as the support agent sees it, projected from order, billing and
support events: a timeline of what happened, and what the customer still owes per invoice.

Billing events are keyed by different aggregates (invoice, payment, refund), so a rebuild
may see a payment before the invoice it pays. The balances are sums, so the order of
events does not change the result. ``CustomerHistory.apply`` is not idempotent: the
consumer that feeds it skips event ids it has already handled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

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
from backoffice_platform.errors import NotFound

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
        factor = (Decimal(100) - line.discount_percent) / Decimal(100)
        total = total + (line.unit_price * line.quantity * factor).rounded()
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


@dataclass
class InvoiceBalance:
    """What a customer still owes on one invoice.

    open = gross - payments allocated - credits applied - write-offs. Until the
    ``InvoiceIssued`` is seen the gross is unknown and so is the open amount.
    """

    invoice_id: str
    currency: str
    gross: Money | None = None
    number: str | None = None
    due_date: dt.date | None = None
    paid_on: dt.date | None = None
    allocated: Money = field(init=False)
    credited: Money = field(init=False)
    written_off: Money = field(init=False)

    def __post_init__(self) -> None:
        self.allocated = self.credited = self.written_off = Money.zero(self.currency)

    @property
    def is_issued(self) -> bool:
        return self.gross is not None

    @property
    def open_amount(self) -> Money | None:
        """Gross less payments, credits and write-offs; ``None`` before the invoice is seen."""
        if self.gross is None:
            return None
        return self.gross - self.allocated - self.credited - self.written_off


def _add(total: Money | None, amount: Money) -> Money:
    return amount if total is None else total + amount


@dataclass
class CustomerHistory:
    """Everything support knows about one customer: timeline, orders, invoice balances and
    unapplied cash. Feed it every event of the customer with ``apply``."""

    customer_id: str
    entries: list[TimelineEntry] = field(default_factory=list)
    order_ids: set[str] = field(default_factory=set)
    invoices: dict[str, InvoiceBalance] = field(default_factory=dict)
    unapplied: dict[str, Money] = field(default_factory=dict)

    def owns(self, event: EventModel) -> bool:
        """Whether ``event`` is about this customer: its ``customer_id`` says so, or it has
        none and concerns one of the customer's orders."""
        customer_id = getattr(event, "customer_id", None)
        if customer_id is not None:
            return bool(customer_id == self.customer_id)
        order_id = getattr(event, "order_id", None)
        return order_id is not None and order_id in self.order_ids

    def apply(self, event: EventModel, occurred_at: dt.datetime) -> TimelineEntry | None:
        """Add ``event`` to the history and balances; events of other customers are ignored.

        Returns the timeline entry it added, if any.
        """
        if not self.owns(event):
            return None
        self._track(event)
        entry = timeline_entry(event, occurred_at)
        if entry is not None:
            if entry.customer_id is None:
                entry = TimelineEntry(
                    entry.kind,
                    entry.occurred_at,
                    self.customer_id,
                    entry.summary,
                    entry.references,
                    entry.amount,
                )
            self.entries.append(entry)
        return entry

    def _invoice(self, invoice_id: str, currency: str) -> InvoiceBalance:
        balance = self.invoices.get(invoice_id)
        if balance is None:
            balance = self.invoices[invoice_id] = InvoiceBalance(invoice_id, currency)
        return balance

    def _move_unapplied(self, amount: Money) -> None:
        self.unapplied[amount.currency] = _add(self.unapplied.get(amount.currency), amount)

    def _track(self, event: EventModel) -> None:
        if isinstance(event, OrderPlaced | OrderShipped):
            self.order_ids.add(event.order_id)
        elif isinstance(event, InvoiceIssued):
            invoice = self._invoice(event.invoice_id, event.currency)
            invoice.gross, invoice.number, invoice.due_date = event.gross, event.number, event.due_date
        elif isinstance(event, PaymentPosted):
            for allocation in event.allocations:
                invoice = self._invoice(allocation.invoice_id, allocation.amount.currency)
                invoice.allocated = invoice.allocated + allocation.amount
            self._move_unapplied(event.unapplied)
        elif isinstance(event, PaymentAllocated):
            invoice = self._invoice(event.invoice_id, event.amount.currency)
            invoice.allocated = invoice.allocated + event.amount
            self._move_unapplied(-event.amount)
        elif isinstance(event, PaymentUnallocated):
            invoice = self._invoice(event.invoice_id, event.amount.currency)
            invoice.allocated = invoice.allocated - event.amount
            self._move_unapplied(event.amount)
        elif isinstance(event, CreditNoteIssued):
            invoice = self._invoice(event.invoice_id, event.applied.currency)
            invoice.credited = invoice.credited + event.applied
            self._move_unapplied(event.unapplied)
        elif isinstance(event, InvoiceWrittenOff):
            invoice = self._invoice(event.invoice_id, event.amount.currency)
            invoice.written_off = invoice.written_off + event.amount
        elif isinstance(event, RefundIssued):
            self._move_unapplied(-event.amount)
        elif isinstance(event, InvoicePaid):
            paid = self.invoices.get(event.invoice_id)
            if paid is not None:
                paid.paid_on = event.paid_on

    # questions ------------------------------------------------------------------
    def timeline(
        self, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[TimelineEntry]:
        """Entries in time order (ties keep arrival order), optionally within [since, until)."""
        return sorted(
            (
                entry
                for entry in self.entries
                if (since is None or entry.occurred_at >= since)
                and (until is None or entry.occurred_at < until)
            ),
            key=lambda entry: entry.occurred_at,
        )

    def invoice_open_amount(self, invoice_id: str) -> Money:
        """What is still open on one of the customer's issued invoices (``NotFound`` otherwise).

        This is the ``open_amount`` a credit remedy on the invoice is checked against.
        """
        invoice = self.invoices.get(invoice_id)
        open_amount = invoice.open_amount if invoice is not None else None
        if open_amount is None:
            raise NotFound(
                f"customer {self.customer_id} has no invoice {invoice_id!r}",
                field="invoice_id",
                rule="unknown-invoice",
            )
        return open_amount

    def open_invoices(self) -> list[InvoiceBalance]:
        """Issued invoices with something still open."""
        return [
            invoice
            for invoice in self.invoices.values()
            if invoice.open_amount is not None and invoice.open_amount.is_positive
        ]

    def open_balance(self) -> dict[str, Money]:
        """What the customer owes over all issued invoices, per currency."""
        totals: dict[str, Money] = {}
        for invoice in self.invoices.values():
            open_amount = invoice.open_amount
            if open_amount is not None:
                totals[open_amount.currency] = _add(totals.get(open_amount.currency), open_amount)
        return totals

    def unapplied_cash(self) -> dict[str, Money]:
        """Cash of the customer not applied to any invoice (overpayments, surplus credits), per currency."""
        return {currency: amount for currency, amount in self.unapplied.items() if not amount.is_zero}
