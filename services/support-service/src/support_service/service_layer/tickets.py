"""Ticket use cases: each opens one transaction, checks the references against the customer
history projection, calls the ticket aggregate, appends its events to the ticket's stream
and updates the read models before commit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.money import Money
from backoffice_events.receivables import LineCreditRequest, ReceivablesError, credit_lines
from backoffice_platform.app import ServiceContext
from backoffice_platform.auth import Principal
from backoffice_platform.errors import Conflict, InvalidInput, NotFound
from backoffice_platform.idempotency import IdempotentReplay, claim_key, store_response

from ..adapters.history import KnownInvoice, customer_known, known_invoice, known_order
from ..adapters.tickets import (
    STREAM_TYPE,
    load_ticket,
    lock_ticket,
    pending_credits_elsewhere,
    read_ticket,
    save_ticket,
    ticket_stream,
)
from ..adapters.views import RemedyAnswer, TicketView
from ..domain.tickets import Ticket, TicketEvent
from ..settings import sla_policy, support_settings

Decision = Callable[[AsyncConnection, Ticket], Awaitable[list[TicketEvent]]]
Answer = TicketView | RemedyAnswer


@dataclass(frozen=True)
class Idempotency:
    """An ``Idempotency-Key`` and the request it came with."""

    key: str | None
    body: Any


@dataclass(frozen=True)
class LineToReship:
    line_no: int
    quantity: int


def _unknown_ticket(ticket_id: str) -> NotFound:
    return NotFound(f"no ticket {ticket_id}", field="ticket_id", rule="unknown-ticket")


def _scope(principal: Principal, action: str) -> str:
    # Keys are chosen by clients: one client's key never replays another client's answer.
    return f"support:{principal.name}:{action}"


async def _check_order(conn: AsyncConnection, order_id: str, customer_id: str) -> None:
    order = await known_order(conn, order_id)
    if order is None:
        raise InvalidInput(f"no order {order_id} is known", field="order_id", rule="unknown-order")
    if order.customer_id != customer_id:
        raise InvalidInput(
            f"order {order_id} is not an order of customer {customer_id}",
            field="order_id",
            rule="order-of-other-customer",
        )


async def _check_invoice(conn: AsyncConnection, invoice_id: str, customer_id: str) -> KnownInvoice:
    invoice = await known_invoice(conn, invoice_id, for_update=True)
    if invoice is None:
        raise InvalidInput(
            f"no issued invoice {invoice_id} is known", field="invoice_id", rule="unknown-invoice"
        )
    if invoice.customer_id != customer_id:
        raise InvalidInput(
            f"invoice {invoice_id} is not an invoice of customer {customer_id}",
            field="invoice_id",
            rule="invoice-of-other-customer",
        )
    return invoice


def _credit_amount(invoice: KnownInvoice, lines: Sequence[LineCreditRequest], amount: Money | None) -> Money:
    """The gross a credit remedy asks for: the given amount, or what the named lines (all
    lines still creditable, when none are named) come to by the shared credit rules."""
    if lines and amount is not None:
        raise InvalidInput(
            "name lines or a gross amount, not both", field="amount", rule="credit-lines-or-amount"
        )
    if amount is not None:
        return amount
    try:
        credited = credit_lines(invoice.lines, invoice.credited, lines)
    except ReceivablesError as exc:
        raise InvalidInput(exc.detail, field=exc.field, rule=exc.rule) from None
    return sum((line.gross for line in credited), Money.zero(invoice.open_amount.currency))


async def open_ticket(
    ctx: ServiceContext,
    principal: Principal,
    *,
    customer_id: str,
    channel: str,
    subject: str,
    description: str,
    priority: str,
    order_id: str | None,
    invoice_id: str | None,
    idempotency: Idempotency,
) -> TicketView | IdempotentReplay:
    """Open a ticket for a known customer, with deadlines from the configured SLA policy."""
    scope = _scope(principal, "open-ticket")
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        replay = await claim_key(conn, scope, idempotency.key, idempotency.body)
        if replay is not None:
            return replay
        # A partner's request for someone else's customer looks like an unknown customer.
        if not principal.can_see_customer(customer_id) or not await customer_known(conn, customer_id):
            raise InvalidInput(
                f"no customer {customer_id} is known from orders or billing",
                field="customer_id",
                rule="unknown-customer",
            )
        if order_id:
            await _check_order(conn, order_id, customer_id)
        if invoice_id:
            await _check_invoice(conn, invoice_id, customer_id)
        ticket = Ticket()
        ticket_id = str(uuid.uuid4())
        events = ticket.open(
            ticket_id,
            customer_id,
            channel=channel,
            subject=subject,
            description=description,
            priority=priority,
            opened_at=now,
            order_id=order_id,
            invoice_id=invoice_id,
            policy=sla_policy(ctx),
        )
        await ctx.store.append(conn, ticket_stream(ticket_id), STREAM_TYPE, 0, events, occurred_at=now)
        await save_ticket(conn, ticket)
        view = await read_ticket(conn, ctx.store, ticket_id, internal=not principal.is_partner)
        assert view is not None
        await store_response(conn, scope, idempotency.key, 201, view.model_dump(mode="json"))
    return view


async def _change(
    ctx: ServiceContext,
    principal: Principal,
    ticket_id: str,
    action: str,
    decide: Decision,
    *,
    expected_version: int | None,
    idempotency: Idempotency | None,
    status: int = 200,
    answer: Callable[[TicketView], Answer] = lambda view: view,
) -> Answer | IdempotentReplay:
    """The one way a ticket changes: lock, load, decide, append, update the read model."""
    scope = _scope(principal, f"{action}:{ticket_id}")
    now = ctx.clock.now()
    async with ctx.engine.begin() as conn:
        if idempotency is not None:
            replay = await claim_key(conn, scope, idempotency.key, idempotency.body)
            if replay is not None:
                return replay
        customer_id = await lock_ticket(conn, ticket_id)
        if customer_id is None or not principal.can_see_customer(customer_id):
            raise _unknown_ticket(ticket_id)
        ticket = await load_ticket(conn, ctx.store, ticket_id)
        if ticket is None:  # pragma: no cover - the row and the stream are written together
            raise _unknown_ticket(ticket_id)
        if expected_version is not None and expected_version != ticket.version:
            raise Conflict(
                f"ticket {ticket_id} is at version {ticket.version}, not {expected_version}",
                field="If-Match",
                rule="version-mismatch",
            )
        version = ticket.version
        events = await decide(conn, ticket)
        if events:
            await ctx.store.append(
                conn, ticket_stream(ticket_id), STREAM_TYPE, version, events, occurred_at=now
            )
            await save_ticket(conn, ticket)
        view = await read_ticket(conn, ctx.store, ticket_id, internal=not principal.is_partner)
        assert view is not None
        result = answer(view)
        if idempotency is not None:
            await store_response(conn, scope, idempotency.key, status, result.model_dump(mode="json"))
    return result


async def assign(
    ctx: ServiceContext, principal: Principal, ticket_id: str, agent_id: str, expected_version: int | None
) -> Answer | IdempotentReplay:
    """Give the ticket to an agent."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.assign(agent_id)

    return await _change(
        ctx, principal, ticket_id, "assign", decide, expected_version=expected_version, idempotency=None
    )


async def reply(
    ctx: ServiceContext,
    principal: Principal,
    ticket_id: str,
    *,
    author: str,
    author_id: str | None,
    body: str,
    expected_version: int | None,
    idempotency: Idempotency,
) -> Answer | IdempotentReplay:
    """A reply the customer sees (``author`` agent) or a customer's answer (``author`` customer)."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        who = author_id or (ticket.customer_id if author == "customer" else principal.name)
        return ticket.reply(author, who, body, ctx.clock.now())

    return await _change(
        ctx,
        principal,
        ticket_id,
        "reply",
        decide,
        expected_version=expected_version,
        idempotency=idempotency,
        status=201,
    )


async def add_note(
    ctx: ServiceContext,
    principal: Principal,
    ticket_id: str,
    body: str,
    expected_version: int | None,
    idempotency: Idempotency,
) -> Answer | IdempotentReplay:
    """An internal note by the calling agent."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.add_note(principal.name, body)

    return await _change(
        ctx,
        principal,
        ticket_id,
        "note",
        decide,
        expected_version=expected_version,
        idempotency=idempotency,
        status=201,
    )


async def record_root_cause(
    ctx: ServiceContext,
    principal: Principal,
    ticket_id: str,
    root_cause: str,
    notes: str,
    expected_version: int | None,
) -> Answer | IdempotentReplay:
    """Record (or correct) the root cause from the fixed taxonomy."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.record_root_cause(root_cause, notes)

    return await _change(
        ctx, principal, ticket_id, "root-cause", decide, expected_version=expected_version, idempotency=None
    )


_REMEDY_FIELDS = {
    "credit": {"invoice_id", "amount", "reason", "lines"},
    "reshipment": {"order_id", "lines"},
    "goodwill": {"note"},
}
_REMEDY_REQUIRED = {
    # A credit names invoice lines or a gross amount; neither credits what is still creditable.
    "credit": {"invoice_id", "reason"},
    "reshipment": {"order_id", "lines"},
    "goodwill": {"note"},
}


async def request_remedy(
    ctx: ServiceContext,
    principal: Principal,
    ticket_id: str,
    *,
    kind: str,
    given: dict[str, Any],
    invoice_id: str | None = None,
    amount: Money | None = None,
    reason: str | None = None,
    order_id: str | None = None,
    lines: Sequence[LineToReship] = (),
    credit_lines: Sequence[LineCreditRequest] = (),
    note: str | None = None,
    expected_version: int | None,
    idempotency: Idempotency,
) -> Answer | IdempotentReplay:
    """A credit (billing issues a credit note), a reshipment (order-service ships a free
    replacement) or a goodwill note. ``given`` names the fields the request set.

    A credit names invoice lines (``credit_lines``, each by quantity or gross amount, by the
    shared rules of ``backoffice_events.receivables``), or a gross ``amount`` that billing
    spreads over the lines in proportion, or neither: everything still creditable."""
    allowed = _REMEDY_FIELDS[kind]
    for name in sorted(given):
        if name not in allowed and name != "kind" and given[name] is not None:
            raise InvalidInput(
                f"{name} does not apply to a {kind} remedy", field=name, rule="field-not-allowed"
            )
    for name in sorted(_REMEDY_REQUIRED[kind]):
        if given.get(name) in (None, "", []):
            raise InvalidInput(f"a {kind} remedy needs {name}", field=name, rule="required")
    remedy_id = str(uuid.uuid4())

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        now = ctx.clock.now()
        if kind == "credit":
            assert invoice_id is not None and reason is not None
            invoice = await _check_invoice(conn, invoice_id, ticket.customer_id)
            open_amount = invoice.open_amount
            credited = _credit_amount(invoice, credit_lines, amount)
            # Credits other tickets asked for and billing has not issued yet are spoken for.
            elsewhere = await pending_credits_elsewhere(
                conn, invoice_id, ticket.ticket_id, open_amount.currency
            )
            return ticket.request_credit(
                remedy_id,
                invoice_id,
                credited,
                reason,
                open_amount=open_amount - elsewhere,
                at=now,
                lines=credit_lines,
            )
        if kind == "reshipment":
            assert order_id is not None
            return ticket.request_reshipment(
                remedy_id, order_id, await _lines_to_reship(conn, order_id, ticket.customer_id, lines), at=now
            )
        assert note is not None
        return ticket.record_goodwill(remedy_id, note, at=now)

    def answer(view: TicketView) -> RemedyAnswer:
        remedy = next(r for r in view.remedies if r.remedy_id == remedy_id)
        return RemedyAnswer(remedy=remedy, ticket=view)

    return await _change(
        ctx,
        principal,
        ticket_id,
        "remedy",
        decide,
        expected_version=expected_version,
        idempotency=idempotency,
        status=201,
        answer=answer,
    )


async def _lines_to_reship(
    conn: AsyncConnection, order_id: str, customer_id: str, lines: Sequence[LineToReship]
) -> list[tuple[int, str, int]]:
    """The lines with their SKU from the projected order; no more than was shipped."""
    await _check_order(conn, order_id, customer_id)
    order = await known_order(conn, order_id)
    assert order is not None
    checked: list[tuple[int, str, int]] = []
    for index, line in enumerate(lines):
        known = order.lines.get(line.line_no)
        if known is None:
            raise InvalidInput(
                f"order {order_id} has no line {line.line_no}",
                field=f"lines[{index}].line_no",
                rule="unknown-order-line",
            )
        sku, shipped = known
        if line.quantity > shipped:
            raise InvalidInput(
                f"line {line.line_no} of order {order_id} shipped {shipped};"
                f" {line.quantity} cannot be reshipped",
                field=f"lines[{index}].quantity",
                rule="reship-exceeds-shipped",
            )
        checked.append((line.line_no, sku, line.quantity))
    return checked


async def resolve(
    ctx: ServiceContext, principal: Principal, ticket_id: str, resolution: str, expected_version: int | None
) -> Answer | IdempotentReplay:
    """Resolve the ticket (needs a root cause)."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.resolve(ctx.clock.now(), resolution)

    return await _change(
        ctx, principal, ticket_id, "resolve", decide, expected_version=expected_version, idempotency=None
    )


async def close(
    ctx: ServiceContext, principal: Principal, ticket_id: str, expected_version: int | None
) -> Answer | IdempotentReplay:
    """Close a resolved ticket."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.close(ctx.clock.now())

    return await _change(
        ctx, principal, ticket_id, "close", decide, expected_version=expected_version, idempotency=None
    )


async def reopen(
    ctx: ServiceContext, principal: Principal, ticket_id: str, reason: str, expected_version: int | None
) -> Answer | IdempotentReplay:
    """Reopen a resolved or closed ticket within the configured window after its resolution."""
    window = support_settings(ctx).reopen_window

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.reopen(ctx.clock.now(), reason, window=window)

    return await _change(
        ctx, principal, ticket_id, "reopen", decide, expected_version=expected_version, idempotency=None
    )


async def rate_satisfaction(
    ctx: ServiceContext,
    principal: Principal,
    ticket_id: str,
    score: int,
    comment: str,
    expected_version: int | None,
) -> Answer | IdempotentReplay:
    """The customer's 1-5 rating of the resolution."""

    async def decide(conn: AsyncConnection, ticket: Ticket) -> list[TicketEvent]:
        return ticket.rate_satisfaction(score, comment)

    return await _change(
        ctx, principal, ticket_id, "satisfaction", decide, expected_version=expected_version, idempotency=None
    )
