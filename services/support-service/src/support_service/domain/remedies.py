"""Remedies a ticket can grant, and how the other services report them done.

A credit is fulfilled when billing issues a ``CreditNoteIssued`` carrying the remedy id,
a reshipment when order-service ships an ``OrderShipped`` whose ``replacement_for`` is the
remedy id. A goodwill note needs nobody else and is fulfilled when recorded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

from backoffice_events.catalog.base import EventModel
from backoffice_events.catalog.billing import CreditNoteIssued
from backoffice_events.catalog.orders import OrderShipped, QuantityLine
from backoffice_events.catalog.support import (
    CreditRemedyRequested,
    GoodwillNoteRecorded,
    RemedyOutcome,
    ReshipmentRemedyRequested,
)
from backoffice_events.money import Money, MoneyError
from backoffice_platform.errors import Conflict, DomainError, InvalidInput

RemedyKind = Literal["credit", "reshipment", "goodwill"]
RemedyStatus = Literal["requested", "fulfilled"]
REMEDY_KINDS: tuple[RemedyKind, ...] = get_args(RemedyKind)

RemedyRequested = CreditRemedyRequested | ReshipmentRemedyRequested | GoodwillNoteRecorded
ReshipmentLineInput = tuple[int, str, int] | QuantityLine
"""A line to reship: ``(line_no, sku, quantity)`` or a ready ``QuantityLine``."""


@dataclass(frozen=True)
class Remedy:
    """One remedy of a ticket as the agent sees it: what was asked for and whether it happened.

    ``reference`` is the credit note id of a fulfilled credit or the shipment id of a
    fulfilled reshipment; ``None`` while requested and for goodwill notes.
    """

    remedy_id: str
    kind: RemedyKind
    status: RemedyStatus
    requested_at: dt.datetime | None = None
    invoice_id: str | None = None
    order_id: str | None = None
    amount: Money | None = None
    lines: tuple[QuantityLine, ...] = ()
    text: str = ""
    reference: str | None = None

    @property
    def credit_note_id(self) -> str | None:
        """The credit note that fulfilled a credit remedy."""
        return self.reference if self.kind == "credit" else None

    @property
    def shipment_id(self) -> str | None:
        """The replacement shipment that fulfilled a reshipment remedy."""
        return self.reference if self.kind == "reshipment" else None

    @property
    def is_pending(self) -> bool:
        return self.status == "requested"


def remedy_from_request(event: RemedyRequested) -> Remedy:
    """The remedy a request event starts (a goodwill note is fulfilled at once)."""
    if isinstance(event, CreditRemedyRequested):
        return Remedy(
            event.remedy_id,
            "credit",
            "requested",
            event.requested_at,
            invoice_id=event.invoice_id,
            amount=event.amount,
            text=event.reason,
        )
    if isinstance(event, ReshipmentRemedyRequested):
        return Remedy(
            event.remedy_id,
            "reshipment",
            "requested",
            event.requested_at,
            order_id=event.order_id,
            lines=tuple(event.lines),
        )
    return Remedy(event.remedy_id, "goodwill", "fulfilled", event.requested_at, text=event.note)


def fulfil(remedy: Remedy, kind: str, reference: str | None) -> Remedy:
    """``remedy`` marked fulfilled by ``reference``.

    Recording the same outcome again returns the remedy unchanged (redelivered events);
    a different reference for a fulfilled remedy is a ``Conflict``, a kind that does not
    match the request a ``DomainError``.
    """
    if kind not in REMEDY_KINDS:
        raise InvalidInput(f"unknown remedy kind {kind!r}", field="kind", rule="unknown-remedy-kind")
    if kind != remedy.kind:
        raise DomainError(
            f"remedy {remedy.remedy_id} is a {remedy.kind}, not a {kind}",
            field="kind",
            rule="remedy-kind-mismatch",
        )
    if remedy.status == "fulfilled":
        if remedy.reference == reference:
            return remedy
        raise Conflict(
            f"remedy {remedy.remedy_id} was already fulfilled by {remedy.reference}",
            field="reference",
            rule="remedy-already-fulfilled",
        )
    if kind != "goodwill" and not reference:
        raise InvalidInput(
            f"a fulfilled {kind} needs the id of what fulfilled it", field="reference", rule="required"
        )
    return replace(remedy, status="fulfilled", reference=reference)


def remedy_outcome_of(event: EventModel) -> RemedyOutcome | None:
    """The remedy outcome another service's event reports, if any.

    ``CreditNoteIssued`` with a ``remedy_id`` fulfils a credit (reference: credit note id);
    ``OrderShipped`` with ``replacement_for`` fulfils a reshipment (reference: shipment id).
    """
    if isinstance(event, CreditNoteIssued) and event.remedy_id:
        return RemedyOutcome(remedy_id=event.remedy_id, kind="credit", reference=event.credit_note_id)
    if isinstance(event, OrderShipped) and event.replacement_for:
        return RemedyOutcome(remedy_id=event.replacement_for, kind="reshipment", reference=event.shipment_id)
    return None


def check_credit_amount(amount: Money, open_amount: Money, pending_credits: Iterable[Money] = ()) -> None:
    """Refuse a credit that is not positive, has too many decimals, is in another currency
    than the invoice, or exceeds what is still open on it.

    ``pending_credits`` are credits already requested against the same invoice but not yet
    issued by billing: the open amount does not reflect them yet, so they count against it.
    """
    try:
        amount.check_scale()
    except MoneyError as exc:
        raise InvalidInput(str(exc), field="amount", rule="too-many-decimals") from None
    if not amount.is_positive:
        raise InvalidInput("a credit must be a positive amount", field="amount", rule="amount-not-positive")
    if amount.currency != open_amount.currency:
        raise InvalidInput(
            f"the credit is in {amount.currency} but the invoice is in {open_amount.currency}",
            field="amount.currency",
            rule="currency-mismatch",
        )
    available = open_amount
    for pending in pending_credits:
        available = available - pending
    if amount > available:
        raise InvalidInput(
            f"a credit of {amount} exceeds the invoice's open amount of {available}",
            field="amount",
            rule="credit-exceeds-open-amount",
            extra={"open_amount": available.to_json()},
        )


def reshipment_lines(lines: Sequence[ReshipmentLineInput]) -> list[QuantityLine]:
    """Validate the lines to reship: at least one, positive line numbers and quantities,
    a SKU on each, no line number twice."""
    if not lines:
        raise InvalidInput("a reshipment needs at least one line", field="lines", rule="lines-required")
    result: list[QuantityLine] = []
    seen: set[int] = set()
    for index, line in enumerate(lines):
        line_no, sku, quantity = (
            (line.line_no, line.sku, line.quantity) if isinstance(line, QuantityLine) else line
        )
        where = f"lines[{index}]"
        if isinstance(line_no, bool) or not isinstance(line_no, int) or line_no < 1:
            raise InvalidInput(
                f"line number {line_no!r} must be a positive integer",
                field=f"{where}.line_no",
                rule="line-no-not-positive",
            )
        if line_no in seen:
            raise InvalidInput(
                f"line {line_no} is listed twice", field=f"{where}.line_no", rule="duplicate-line"
            )
        if not isinstance(sku, str) or not sku.strip():
            raise InvalidInput("each line needs a SKU", field=f"{where}.sku", rule="required")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            raise InvalidInput(
                f"quantity {quantity!r} must be a positive integer",
                field=f"{where}.quantity",
                rule="quantity-not-positive",
            )
        seen.add(line_no)
        result.append(QuantityLine(line_no=line_no, sku=sku, quantity=quantity))
    return result
