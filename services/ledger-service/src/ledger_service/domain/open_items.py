"""Open items: what each invoice and each approved supplier bill still owes, as dated
movements so the open amount can be asked for at any past date.

An item's open amount at ``as_of`` is the sum of its movements dated on or before
``as_of``: ``+gross`` when issued (invoice) or approved (bill), minus payments,
credit notes (their applied part) and write-offs, plus allocations reversed. For invoices the
movements are those of the shared rule ``backoffice_events.receivables.open_amount_movements``.
Movement dates are the same business dates ``posting.post`` gives the journal entries, so a
customer's AR balance at any date equals the open amount of that customer's invoices at that date.

Events of different aggregates can arrive in any order (they live on different
partitions), so a payment may name an invoice the ledger has not seen issued yet. The
reducer then keeps a placeholder item (``issued_on is None``) holding the movement; the
issuing event fills it in later. Aging leaves placeholders out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import (
    CreditNoteIssued,
    InvoiceIssued,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
)
from backoffice_events.catalog.payables import SupplierBillApproved, SupplierPaymentMade
from backoffice_events.money import Money
from backoffice_events.receivables import open_amount_movements

from .accounts import PartyKind
from .errors import PostingError
from .posting import business_date


class ItemKind(StrEnum):
    INVOICE = "invoice"
    SUPPLIER_BILL = "supplier_bill"

    @property
    def party_kind(self) -> PartyKind:
        """Customers owe invoices; we owe suppliers their bills."""
        return PartyKind.CUSTOMER if self is ItemKind.INVOICE else PartyKind.SUPPLIER


OpenItemKey = tuple[ItemKind, str]
"""(kind, invoice id or bill id)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Movement:
    """A dated change to what an item owes: positive raises it, negative settles it."""

    on: dt.date
    amount: Decimal
    event_id: str
    reason: str  # issued | approved | payment | unallocated | credit-note | write-off


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenItem:
    """An invoice (owed by a customer) or an approved supplier bill (owed to a supplier)."""

    kind: ItemKind
    item_id: str
    party_id: str
    currency: str
    issued_on: dt.date | None = None  # None: a placeholder, issuing event not seen yet
    due_date: dt.date | None = None
    reference: str | None = None  # the invoice number, for reports
    movements: tuple[Movement, ...] = ()

    @property
    def key(self) -> OpenItemKey:
        return (self.kind, self.item_id)

    @property
    def party_kind(self) -> PartyKind:
        return self.kind.party_kind

    def open_amount(self, as_of: dt.date | None = None) -> Decimal:
        """What is still owed counting movements dated on or before ``as_of`` (all if None)."""
        total = Decimal(0)
        for movement in self.movements:
            if as_of is None or movement.on <= as_of:
                total += movement.amount
        return total

    def is_issued_by(self, as_of: dt.date) -> bool:
        """Whether the item existed (was issued/approved) on ``as_of``."""
        return self.issued_on is not None and self.issued_on <= as_of

    def has_event(self, event_id: str) -> bool:
        return any(movement.event_id == event_id for movement in self.movements)


OpenItems = Mapping[OpenItemKey, OpenItem]


def open_item_keys(event: EventModel) -> list[OpenItemKey]:
    """The items ``event`` touches, so an adapter can load just those before reducing."""
    match event:
        case InvoiceIssued() | CreditNoteIssued() | InvoiceWrittenOff():
            return [(ItemKind.INVOICE, event.invoice_id)]
        case PaymentAllocated() | PaymentUnallocated():
            return [(ItemKind.INVOICE, event.invoice_id)]
        case PaymentPosted():
            return list(dict.fromkeys((ItemKind.INVOICE, a.invoice_id) for a in event.allocations))
        case SupplierBillApproved() | SupplierPaymentMade():
            return [(ItemKind.SUPPLIER_BILL, event.bill_id)]
        case _:
            return []


def _issue(
    items: OpenItems,
    key: OpenItemKey,
    *,
    party_id: str,
    amount: Money,
    issued_on: dt.date,
    due_date: dt.date,
    reference: str | None,
    event_id: str,
    reason: str,
) -> OpenItem | None:
    current = items.get(key)
    if current is not None and current.has_event(event_id):
        return None  # redelivered: already applied
    if current is not None and current.issued_on is not None:
        raise PostingError(
            f"{key[0]} {key[1]} was already {reason} by another event",
            rule="open-item-already-issued",
        )
    if current is not None and (current.currency != amount.currency or current.party_id != party_id):
        raise PostingError(
            f"{key[0]} {key[1]} is {amount.currency} for {party_id} but earlier settlements were"
            f" {current.currency} for {current.party_id}",
            rule="open-item-mismatch",
        )
    movement = Movement(on=issued_on, amount=amount.amount, event_id=event_id, reason=reason)
    previous = current.movements if current is not None else ()
    return OpenItem(
        kind=key[0],
        item_id=key[1],
        party_id=party_id,
        currency=amount.currency,
        issued_on=issued_on,
        due_date=due_date,
        reference=reference,
        movements=(movement, *previous),
    )


def _move(
    items: OpenItems,
    changed: dict[OpenItemKey, OpenItem],
    key: OpenItemKey,
    *,
    party_id: str,
    amount: Money,
    on: dt.date,
    event_id: str,
    reason: str,
) -> None:
    """Add a movement to the item (creating a placeholder if it is unknown yet)."""
    current = changed.get(key) or items.get(key)
    if current is None:
        current = OpenItem(kind=key[0], item_id=key[1], party_id=party_id, currency=amount.currency)
    elif key not in changed and current.has_event(event_id):
        return  # redelivered: already applied
    if current.currency != amount.currency or current.party_id != party_id:
        raise PostingError(
            f"{key[0]} {key[1]} belongs to {current.party_id} in {current.currency}; the event"
            f" moves {amount} for {party_id}",
            rule="open-item-mismatch",
        )
    movement = Movement(on=on, amount=amount.amount, event_id=event_id, reason=reason)
    changed[key] = replace(current, movements=(*current.movements, movement))


def open_item_changes(
    items: OpenItems, event: EventModel, event_id: str, occurred_on: dt.date
) -> list[OpenItem]:
    """The items ``event`` creates or changes, in their new state (the others are unchanged).

    ``items`` needs to hold at least the items named by ``open_item_keys(event)``. Applying
    the same ``event_id`` twice changes nothing. Raises ``PostingError`` when an item is
    issued twice or the event's party/currency contradicts the item's.
    """
    on = business_date(event, occurred_on)
    changed: dict[OpenItemKey, OpenItem] = {}
    match event:
        case InvoiceIssued():
            issued = _issue(
                items,
                (ItemKind.INVOICE, event.invoice_id),
                party_id=event.customer_id,
                amount=event.gross,
                issued_on=on,
                due_date=event.due_date,
                reference=event.number,
                event_id=event_id,
                reason="issued",
            )
            return [issued] if issued else []
        case SupplierBillApproved():
            approved = _issue(
                items,
                (ItemKind.SUPPLIER_BILL, event.bill_id),
                party_id=event.supplier_id,
                amount=event.gross,
                issued_on=on,
                due_date=event.due_date,
                reference=None,
                event_id=event_id,
                reason="approved",
            )
            return [approved] if approved else []
        case (
            PaymentPosted()
            | PaymentAllocated()
            | PaymentUnallocated()
            | CreditNoteIssued()
            | InvoiceWrittenOff()
        ):
            # What each money event does to an invoice's open amount is the shared receivables rule.
            for movement in open_amount_movements(event):
                _move(
                    items,
                    changed,
                    (ItemKind.INVOICE, movement.invoice_id),
                    party_id=movement.customer_id,
                    amount=movement.amount,
                    on=on,
                    event_id=event_id,
                    reason=movement.reason,
                )
        case SupplierPaymentMade():
            _move(
                items,
                changed,
                (ItemKind.SUPPLIER_BILL, event.bill_id),
                party_id=event.supplier_id,
                amount=-event.amount,
                on=on,
                event_id=event_id,
                reason="payment",
            )
        case _:
            pass
    return list(changed.values())


def apply_to_open_items(
    items: OpenItems, event: EventModel, event_id: str, occurred_on: dt.date
) -> dict[OpenItemKey, OpenItem]:
    """Pure reducer: the open items after ``event`` (a new mapping; ``items`` is untouched)."""
    result = dict(items)
    for item in open_item_changes(items, event, event_id, occurred_on):
        result[item.key] = item
    return result


def open_amounts_by_party(
    items: Iterable[OpenItem], as_of: dt.date | None = None
) -> dict[tuple[PartyKind, str, str], Decimal]:
    """Open amount per (party kind, party id, currency) at ``as_of`` (all movements if None),
    placeholders included, as the ledger's subledgers count them."""
    totals: dict[tuple[PartyKind, str, str], Decimal] = {}
    for item in items:
        key = (item.party_kind, item.party_id, item.currency)
        totals[key] = totals.get(key, Decimal(0)) + item.open_amount(as_of)
    return totals
