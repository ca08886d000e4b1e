"""Ticket endpoints: open, work on, resolve and rate tickets; read them with their remedies,
SLA deadlines and history."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.receivables import LineCreditRequest
from backoffice_platform.app import ctx_of, require
from backoffice_platform.auth import Principal, Role
from backoffice_platform.errors import InvalidInput, NotFound
from backoffice_platform.http import MoneyInput, etag, parse_if_match
from backoffice_platform.idempotency import IdempotentReplay

from ..adapters.tickets import list_tickets, read_ticket
from ..adapters.views import RemedyAnswer, TicketPage, TicketView
from ..domain.sla import PRIORITIES
from ..domain.tickets import AUTHORS, ROOT_CAUSES
from ..service_layer import tickets
from ..service_layer.tickets import Answer, Idempotency, LineToReship

router = APIRouter(prefix="/tickets", tags=["tickets"])

Agent = Annotated[Principal, Depends(require(Role.SUPPORT_AGENT))]
AgentOrPartner = Annotated[Principal, Depends(require(Role.SUPPORT_AGENT, Role.PARTNER))]
Reader = Annotated[Principal, Depends(require(Role.SUPPORT_AGENT, Role.PARTNER, read=True))]
IfMatch = Annotated[str | None, Header(description="ETag of the ticket as last read")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
STATUSES = ("open", "resolved", "closed")


class NewTicket(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=100)
    order_id: str | None = Field(default=None, min_length=1, max_length=100)
    invoice_id: str | None = Field(default=None, min_length=1, max_length=100)
    channel: str = Field(min_length=1, max_length=40, description="email, phone, chat, web, partner ...")
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    priority: str = Field(default="normal", json_schema_extra={"enum": list(PRIORITIES)})


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: str = Field(min_length=1, max_length=100)


class NewReply(BaseModel):
    model_config = ConfigDict(extra="forbid")
    author: str = Field(json_schema_extra={"enum": list(AUTHORS)})
    author_id: str | None = Field(
        default=None, max_length=100, description="default: the calling agent, or the ticket's customer"
    )
    body: str = Field(min_length=1, max_length=20_000)


class NewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=20_000)


class RootCauseRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    root_cause: str = Field(json_schema_extra={"enum": list(ROOT_CAUSES)})
    notes: str = Field(default="", max_length=5_000)


class RemedyLine(BaseModel):
    """A reshipment's order line (``quantity`` required), or a credit's invoice line (by
    ``quantity`` or gross ``amount``)."""

    model_config = ConfigDict(extra="forbid")
    line_no: int = Field(strict=True)
    quantity: int | None = Field(default=None, strict=True)
    amount: MoneyInput | None = None


class NewRemedy(BaseModel):
    """``credit``: invoice_id, reason, and invoice ``lines`` (each by quantity or gross amount) or
    a gross ``amount`` (or neither: all still creditable). ``reshipment``: order_id, lines.
    ``goodwill``: note."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["credit", "reshipment", "goodwill"]
    invoice_id: str | None = Field(default=None, max_length=100)
    amount: MoneyInput | None = None
    reason: str | None = Field(default=None, max_length=5_000)
    order_id: str | None = Field(default=None, max_length=100)
    lines: list[RemedyLine] | None = Field(default=None, max_length=500)
    note: str | None = Field(default=None, max_length=5_000)


def _lines_to_reship(body: NewRemedy) -> list[LineToReship]:
    """A reshipment's lines: each needs a quantity and takes no amount."""
    lines = []
    for i, line in enumerate(body.lines or ()):
        if line.amount is not None:
            raise InvalidInput(
                "a reshipment line has no amount", field=f"lines[{i}].amount", rule="field-not-allowed"
            )
        if line.quantity is None:
            raise InvalidInput(
                "a reshipment line needs a quantity", field=f"lines[{i}].quantity", rule="required"
            )
        lines.append(LineToReship(line.line_no, line.quantity))
    return lines


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    resolution: str = Field(default="", max_length=5_000)


class Reopening(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=5_000)


class Rating(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int = Field(strict=True, json_schema_extra={"minimum": 1, "maximum": 5})
    comment: str = Field(default="", max_length=5_000)


def _answer(result: Answer | IdempotentReplay, response: Response) -> Any:
    """The result with its ETag; a replayed answer exactly as first given."""
    if isinstance(result, IdempotentReplay):
        body = result.body
        version = body["ticket"]["version"] if "ticket" in body else body["version"]
        return JSONResponse(body, result.status, headers={"ETag": etag(version)})
    response.headers["ETag"] = etag(
        result.ticket.version if isinstance(result, RemedyAnswer) else result.version
    )
    return result


@router.post("", status_code=201, response_model=TicketView, summary="Open a ticket for a known customer")
async def open_ticket(
    body: NewTicket,
    request: Request,
    response: Response,
    principal: AgentOrPartner,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    result = await tickets.open_ticket(
        ctx_of(request),
        principal,
        customer_id=body.customer_id,
        channel=body.channel,
        subject=body.subject,
        description=body.description,
        priority=body.priority,
        order_id=body.order_id,
        invoice_id=body.invoice_id,
        idempotency=Idempotency(idempotency_key, body.model_dump(mode="json")),
    )
    return _answer(result, response)


@router.get("", response_model=TicketPage, summary="Tickets, newest first")
async def find_tickets(
    request: Request,
    principal: Reader,
    customer_id: str | None = None,
    status: Annotated[str | None, Query(json_schema_extra={"enum": list(STATUSES)})] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> TicketPage:
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            f"unknown status {status!r}; expected one of {', '.join(STATUSES)}",
            field="status",
            rule="unknown-status",
        )
    async with ctx_of(request).engine.connect() as conn:
        return await list_tickets(
            conn,
            customer_id=customer_id,
            status=status,
            visible_customers=principal.customers if principal.is_partner else None,
            cursor=cursor,
            limit=limit,
        )


@router.get("/{ticket_id}", response_model=TicketView, summary="A ticket with remedies, SLA and history")
async def get_ticket(ticket_id: str, request: Request, response: Response, principal: Reader) -> TicketView:
    ctx = ctx_of(request)
    async with ctx.engine.connect() as conn:
        view = await read_ticket(conn, ctx.store, ticket_id, internal=not principal.is_partner)
    if view is None or not principal.can_see_customer(view.customer_id):
        raise NotFound(f"no ticket {ticket_id}", field="ticket_id", rule="unknown-ticket")
    response.headers["ETag"] = etag(view.version)
    return view


@router.post("/{ticket_id}/assign", response_model=TicketView, summary="Assign the ticket to an agent")
async def assign(
    ticket_id: str,
    body: Assignment,
    request: Request,
    response: Response,
    principal: Agent,
    if_match: IfMatch = None,
) -> Any:
    result = await tickets.assign(
        ctx_of(request), principal, ticket_id, body.agent_id, parse_if_match(if_match)
    )
    return _answer(result, response)


@router.post(
    "/{ticket_id}/replies",
    status_code=201,
    response_model=TicketView,
    summary="A reply the customer sees (the first agent reply is the SLA's first response)",
)
async def reply(
    ticket_id: str,
    body: NewReply,
    request: Request,
    response: Response,
    principal: Agent,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    result = await tickets.reply(
        ctx_of(request),
        principal,
        ticket_id,
        author=body.author,
        author_id=body.author_id,
        body=body.body,
        expected_version=parse_if_match(if_match),
        idempotency=Idempotency(idempotency_key, body.model_dump(mode="json")),
    )
    return _answer(result, response)


@router.post("/{ticket_id}/notes", status_code=201, response_model=TicketView, summary="An internal note")
async def add_note(
    ticket_id: str,
    body: NewNote,
    request: Request,
    response: Response,
    principal: Agent,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    result = await tickets.add_note(
        ctx_of(request),
        principal,
        ticket_id,
        body.body,
        parse_if_match(if_match),
        Idempotency(idempotency_key, body.model_dump(mode="json")),
    )
    return _answer(result, response)


@router.post(
    "/{ticket_id}/root-cause", response_model=TicketView, summary="Record the root cause from the taxonomy"
)
async def record_root_cause(
    ticket_id: str,
    body: RootCauseRecord,
    request: Request,
    response: Response,
    principal: Agent,
    if_match: IfMatch = None,
) -> Any:
    result = await tickets.record_root_cause(
        ctx_of(request), principal, ticket_id, body.root_cause, body.notes, parse_if_match(if_match)
    )
    return _answer(result, response)


@router.post(
    "/{ticket_id}/remedies",
    status_code=201,
    response_model=RemedyAnswer,
    summary="Request a credit or a reshipment, or record a goodwill note",
)
async def request_remedy(
    ticket_id: str,
    body: NewRemedy,
    request: Request,
    response: Response,
    principal: Agent,
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    result = await tickets.request_remedy(
        ctx_of(request),
        principal,
        ticket_id,
        kind=body.kind,
        given=body.model_dump(exclude_unset=True),
        invoice_id=body.invoice_id,
        amount=body.amount,
        reason=body.reason,
        order_id=body.order_id,
        lines=_lines_to_reship(body) if body.kind == "reshipment" else (),
        credit_lines=[
            LineCreditRequest(line.line_no, line.quantity, line.amount) for line in body.lines or ()
        ]
        if body.kind == "credit"
        else (),
        note=body.note,
        expected_version=parse_if_match(if_match),
        idempotency=Idempotency(idempotency_key, body.model_dump(mode="json")),
    )
    return _answer(result, response)


@router.post("/{ticket_id}/resolve", response_model=TicketView, summary="Resolve (needs a root cause)")
async def resolve(
    ticket_id: str,
    request: Request,
    response: Response,
    principal: Agent,
    body: Resolution | None = None,
    if_match: IfMatch = None,
) -> Any:
    resolution = body.resolution if body else ""
    result = await tickets.resolve(
        ctx_of(request), principal, ticket_id, resolution, parse_if_match(if_match)
    )
    return _answer(result, response)


@router.post("/{ticket_id}/close", response_model=TicketView, summary="Close a resolved ticket")
async def close(
    ticket_id: str, request: Request, response: Response, principal: Agent, if_match: IfMatch = None
) -> Any:
    result = await tickets.close(ctx_of(request), principal, ticket_id, parse_if_match(if_match))
    return _answer(result, response)


@router.post(
    "/{ticket_id}/reopen",
    response_model=TicketView,
    summary="Reopen a resolved or closed ticket within the window after its resolution",
)
async def reopen(
    ticket_id: str,
    request: Request,
    response: Response,
    principal: Agent,
    body: Reopening | None = None,
    if_match: IfMatch = None,
) -> Any:
    reason = body.reason if body else ""
    result = await tickets.reopen(ctx_of(request), principal, ticket_id, reason, parse_if_match(if_match))
    return _answer(result, response)


@router.post(
    "/{ticket_id}/satisfaction",
    response_model=TicketView,
    summary="The customer's 1-5 rating after resolution",
)
async def rate_satisfaction(
    ticket_id: str,
    body: Rating,
    request: Request,
    response: Response,
    principal: Agent,
    if_match: IfMatch = None,
) -> Any:
    result = await tickets.rate_satisfaction(
        ctx_of(request), principal, ticket_id, body.score, body.comment, parse_if_match(if_match)
    )
    return _answer(result, response)
