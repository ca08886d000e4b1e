"""The service desk: the ticket queue, a ticket beside the customer's timeline, and the
ticket's commands (reply, root cause, credit remedy, resolve). Only through support's API."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backoffice_events.catalog.support import RootCause

from ..adapters.services import ApiProblem
from ..domain.people import Desk
from .core import Visit, at_desk, form_of, render
from .forms import problem_errors

router = APIRouter(prefix="/service", include_in_schema=False)
Desked = Annotated[Visit, at_desk(Desk.SERVICE)]
Form = Annotated[dict[str, str], Depends(form_of)]
STATUSES = ["open", "pending", "resolved", "closed"]
ROOT_CAUSES = list(get_args(RootCause))  # the one taxonomy, from the event catalog


@router.get("", response_class=HTMLResponse)
async def queue(request: Request, visit: Desked, status: str = "", cursor: str = "") -> Response:
    page = await visit.services.support.tickets(status or None, cursor or None)
    return render(
        request,
        "support/queue.html",
        visit,
        page=page,
        status=status,
        statuses=STATUSES,
        root_causes=ROOT_CAUSES,
    )


async def _ticket_page(
    request: Request, visit: Visit, ticket_id: str, status: int = 200, **extra: Any
) -> Response:
    support = visit.services.support
    ticket = await support.ticket(ticket_id)
    try:
        timeline = await support.timeline(ticket["customer_id"])
    except ApiProblem:
        timeline = {}
    return render(
        request,
        "support/ticket.html",
        visit,
        status_code=status,
        ticket=ticket,
        timeline=timeline,
        root_causes=ROOT_CAUSES,
        **extra,
    )


@router.get("/tickets/{ticket_id}", response_class=HTMLResponse)
async def ticket(request: Request, visit: Desked, ticket_id: str) -> Response:
    return await _ticket_page(request, visit, ticket_id)


def _body(action: str, form: dict[str, str], visit: Visit) -> dict[str, Any]:
    if action == "remedies":
        body: dict[str, Any] = {"kind": form.get("kind", "credit")}
        if form.get("amount"):
            body["amount"] = {"amount": form["amount"].strip(), "currency": form.get("currency", "EUR")}
        if form.get("invoice_id"):
            body["invoice_id"] = form["invoice_id"].strip()
        if form.get("reason"):
            body["reason"] = form["reason"]
        return body
    if action == "root-cause":
        body = {"root_cause": form.get("root_cause", "")}
        return body | ({"notes": form["notes"]} if form.get("notes") else {})
    if action == "resolve":
        return {"resolution": form.get("resolution") or None}
    if action == "replies":  # the agent is the caller: support takes the author id from the token
        return {"author": "agent", "body": form.get("body", "")}
    return {"body": form.get("body", "")}


@router.post("/tickets/{ticket_id}/{action}", response_class=HTMLResponse)
async def act(request: Request, visit: Desked, ticket_id: str, action: str, form: Form) -> Response:
    if action not in ("replies", "notes", "root-cause", "remedies", "resolve"):
        return render(
            request, "error.html", visit, status_code=404, title="Not found", detail=f"no action {action}"
        )
    try:
        await visit.services.support.act(ticket_id, action, _body(action, form, visit))
    except ApiProblem as problem:
        errors = problem_errors(
            problem, {"body", "root_cause", "kind", "amount", "invoice_id", "reason", "resolution"}
        )
        return await _ticket_page(
            request, visit, ticket_id, status=422, errors=errors, action=action, form=form
        )
    return RedirectResponse(f"/service/tickets/{ticket_id}", status_code=303)
