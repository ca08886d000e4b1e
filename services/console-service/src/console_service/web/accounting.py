"""The accounting desk: invoices, supplier bills (enter, approve as a second user, reject),
payment runs, the trial balance at a date and the books check. Only through billing and ledger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..adapters.services import ApiProblem
from ..domain.people import Desk
from .core import Visit, at_desk, form_of, render
from .forms import line_rows, problem_errors

router = APIRouter(prefix="/accounting", include_in_schema=False)
BILL_ROWS = 3
BILL_LINE_FIELDS = ("description", "expense_account", "net", "vat_rate")
Desked = Annotated[Visit, at_desk(Desk.ACCOUNTING)]
Form = Annotated[dict[str, str], Depends(form_of)]


@router.get("", response_class=HTMLResponse)
async def invoices(
    request: Request, visit: Desked, status: str = "", customer_id: str = "", cursor: str = ""
) -> Response:
    page = await visit.services.billing.invoices(customer_id or None, status or None, cursor or None)
    return render(
        request, "accounting/invoices.html", visit, page=page, status=status, customer_id=customer_id
    )


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
async def invoice(request: Request, visit: Desked, invoice_id: str) -> Response:
    found = await visit.services.billing.invoice(invoice_id)
    return render(request, "accounting/invoice.html", visit, invoice=found)


@router.get("/bills", response_class=HTMLResponse)
async def bills(request: Request, visit: Desked, status: str = "", cursor: str = "") -> Response:
    page = await visit.services.billing.bills(status or None, cursor or None)
    return render(request, "accounting/bills.html", visit, page=page, status=status, run=None)


@router.get("/bills/new", response_class=HTMLResponse)
async def bill_entry(request: Request, visit: Desked) -> Response:
    return render(request, "accounting/bill_new.html", visit, form={"currency": "EUR"}, rows=BILL_ROWS)


def _bill_body(form: dict[str, str]) -> dict[str, Any]:
    currency = form.get("currency", "EUR").strip()
    lines = [
        {
            "description": row["description"],
            "expense_account": row["expense_account"],
            "net": {"amount": row["net"], "currency": currency},
            "vat_rate": row["vat_rate"],
        }
        for row in line_rows(form, BILL_LINE_FIELDS, BILL_ROWS)
        if any(row.values())
    ]
    return {
        "supplier_id": form.get("supplier_id", "").strip(),
        "supplier_invoice_number": form.get("supplier_invoice_number", "").strip(),
        "bill_date": form.get("bill_date", "").strip(),
        "due_date": form.get("due_date", "").strip() or None,
        "lines": lines,
    }


def _bill_fields() -> set[str]:
    names = {"supplier_id", "supplier_invoice_number", "bill_date", "due_date", "lines"}
    return names | {f"lines[{i}].{f}" for i in range(BILL_ROWS) for f in BILL_LINE_FIELDS}


@router.post("/bills", response_class=HTMLResponse)
async def enter_bill(request: Request, visit: Desked, form: Form) -> Response:
    try:
        bill = await visit.services.billing.enter_bill(_bill_body(form))
    except ApiProblem as problem:
        errors = problem_errors(_net_field(problem), _bill_fields())
        return render(
            request,
            "accounting/bill_new.html",
            visit,
            status_code=422,
            form=form,
            rows=BILL_ROWS,
            errors=errors,
        )
    return RedirectResponse(f"/accounting/bills/{bill['bill_id']}", status_code=303)


def _net_field(problem: ApiProblem) -> ApiProblem:
    """``lines[0].net.amount`` is the form's ``lines[0].net`` field."""
    name = problem.field or ""
    if name.endswith(".net.amount") or name.endswith(".net.currency"):
        problem.problem["field"] = name.rsplit(".", 1)[0]
    return problem


@router.get("/bills/{bill_id}", response_class=HTMLResponse)
async def bill(request: Request, visit: Desked, bill_id: str) -> Response:
    found = await visit.services.billing.bill(bill_id)
    return render(request, "accounting/bill.html", visit, bill=found)


@router.post("/bills/{bill_id}/{action}", response_class=HTMLResponse)
async def decide(request: Request, visit: Desked, bill_id: str, action: str, form: Form) -> Response:
    billing = visit.services.billing
    try:
        if action == "approve":
            await billing.approve_bill(bill_id)
        elif action == "reject":
            await billing.reject_bill(bill_id, form.get("reason", "").strip())
        else:
            return render(
                request, "error.html", visit, status_code=404, title="Not found", detail=f"no action {action}"
            )
    except ApiProblem as problem:
        found = await billing.bill(bill_id)
        errors = problem_errors(problem, {"reason"})
        return render(
            request, "accounting/bill.html", visit, status_code=problem.status, bill=found, errors=errors
        )
    return RedirectResponse(f"/accounting/bills/{bill_id}", status_code=303)


@router.post("/payment-runs", response_class=HTMLResponse)
async def payment_run(request: Request, visit: Desked, form: Form) -> Response:
    billing = visit.services.billing
    run: dict[str, Any] | None = None
    errors: dict[str, str] = {}
    try:
        run = await billing.payment_run(form.get("pay_by", "").strip())
    except ApiProblem as problem:
        errors = problem_errors(problem, {"pay_by"})
    page = await billing.bills()
    return render(
        request,
        "accounting/bills.html",
        visit,
        status_code=200 if run else 422,
        page=page,
        status="",
        run=run,
        errors=errors or {},
    )


@router.get("/ledger", response_class=HTMLResponse)
async def ledger(request: Request, visit: Desked, as_of: str = "") -> Response:
    errors: dict[str, str] = {}
    balance: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    try:
        balance = await visit.services.ledger.trial_balance(as_of or None)
        checks = await visit.services.ledger.checks(as_of or None)
    except ApiProblem as problem:
        errors = problem_errors(problem, {"as_of"})
    return render(
        request, "accounting/ledger.html", visit, balance=balance, checks=checks, as_of=as_of, errors=errors
    )
