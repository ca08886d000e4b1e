"""The order desk: orders by status, order entry, an order with its history, shipments and
invoices, recording a shipment, stock levels. Only through the order and billing APIs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..adapters.services import ApiProblem
from ..domain.people import Desk
from .core import Visit, at_desk, form_of, render
from .forms import problem_errors

router = APIRouter(prefix="/orders", include_in_schema=False)
STATUSES = ["placed", "partially_shipped", "fulfilled", "delivered", "cancelled", "rejected"]
ENTRY_ROWS = 5
ADDRESS_FIELDS = ("name", "line1", "postal_code", "city", "country")
Desked = Annotated[Visit, at_desk(Desk.ORDERS)]
Form = Annotated[dict[str, str], Depends(form_of)]


@router.get("", response_class=HTMLResponse)
async def orders(request: Request, visit: Desked, status: str = "", cursor: str = "") -> Response:
    page = await visit.services.orders.orders(status or None, cursor or None)
    return render(request, "orders/list.html", visit, page=page, status=status, statuses=STATUSES)


@router.get("/new", response_class=HTMLResponse)
async def entry(request: Request, visit: Desked) -> Response:
    return render(request, "orders/new.html", visit, form={"currency": "EUR"}, rows=ENTRY_ROWS)


@router.get("/lookup", response_class=HTMLResponse)
async def lookup(request: Request, visit: Desked, row: int = 0) -> Response:
    """htmx: price and availability beside a line as its SKU is typed."""
    sku = request.query_params.get(f"lines[{row}].sku", "").strip()
    product: dict[str, Any] | None = None
    stock: dict[str, Any] | None = None
    if sku:
        try:
            product = await visit.services.orders.product(sku)
            stock = await visit.services.orders.stock_of(sku)
        except ApiProblem:
            product = None
    return render(request, "orders/_lookup.html", visit, sku=sku, product=product, stock=stock, row=row)


def _order_body(form: dict[str, str]) -> dict[str, Any]:
    lines = []
    for i in range(ENTRY_ROWS):
        sku = form.get(f"lines[{i}].sku", "").strip()
        if not sku:
            continue
        line: dict[str, Any] = {"sku": sku, "quantity": _number(form.get(f"lines[{i}].quantity", ""))}
        if form.get(f"lines[{i}].discount_percent", "").strip():
            line["discount_percent"] = form[f"lines[{i}].discount_percent"].strip()
        lines.append(line)
    return {
        "customer_id": form.get("customer_id", "").strip(),
        "channel": "sales" if form.get("sales_rep_id") else "web",
        "sales_rep_id": form.get("sales_rep_id") or None,
        "currency": form.get("currency", "EUR"),
        "backorder_policy": form.get("backorder_policy", "reject"),
        "shipping_address": {f: form.get(f"shipping_address.{f}", "").strip() for f in ADDRESS_FIELDS},
        "lines": lines,
    }


def _number(value: str) -> int | str:
    """An integer when it is one; otherwise as typed, so the API names the field and the rule."""
    try:
        return int(value.strip())
    except ValueError:
        return value


def _fields(rows: int) -> set[str]:
    names = {"customer_id", "currency", "backorder_policy", "lines"}
    names |= {f"shipping_address.{f}" for f in ADDRESS_FIELDS}
    names |= {f"lines[{i}].{f}" for i in range(rows) for f in ("sku", "quantity", "discount_percent")}
    return names


@router.post("", response_class=HTMLResponse)
async def place(request: Request, visit: Desked, form: Form) -> Response:
    body = _order_body(form)
    try:
        placed = await visit.services.orders.place_order(body)
    except ApiProblem as problem:
        errors = problem_errors(problem, _fields(ENTRY_ROWS))
        return render(
            request, "orders/new.html", visit, status_code=422, form=form, rows=ENTRY_ROWS, errors=errors
        )
    return RedirectResponse(f"/orders/{placed['order_id']}", status_code=303)


async def _invoices_of(visit: Visit, order: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The order's invoices from billing (one per shipment); None when billing does not let
    the user read invoices (billing decides: today its billing clerks and auditors)."""
    try:
        page = await visit.services.billing.invoices(customer_id=order["customer_id"])
    except ApiProblem as problem:
        if problem.status in (401, 403):
            return None
        raise
    return [i for i in page.get("items", []) if i.get("order_id") == order["order_id"]]


@router.get("/{order_id}", response_class=HTMLResponse)
async def order(request: Request, visit: Desked, order_id: str) -> Response:
    found = await visit.services.orders.order(order_id)
    invoices = await _invoices_of(visit, found)
    return render(request, "orders/detail.html", visit, order=found, invoices=invoices, form={})


@router.post("/{order_id}/shipments", response_class=HTMLResponse)
async def ship(request: Request, visit: Desked, order_id: str, form: Form) -> Response:
    found = await visit.services.orders.order(order_id)
    lines = []
    for line in found.get("lines", []):
        quantity = form.get(f"lines[{line['line_no']}].quantity", "").strip()
        if quantity and quantity != "0":
            lines.append({"line_no": line["line_no"], "quantity": _number(quantity)})
    body = {
        "carrier": form.get("carrier", "").strip(),
        "tracking_number": form.get("tracking_number") or None,
        "lines": lines,
    }
    try:
        await visit.services.orders.ship(order_id, body)
    except ApiProblem as problem:
        errors = problem_errors(problem, {"carrier", "tracking_number", "lines"})
        invoices = await _invoices_of(visit, found)
        return render(
            request,
            "orders/detail.html",
            visit,
            status_code=422,
            order=found,
            invoices=invoices,
            form=form,
            errors=errors,
        )
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


@router.post("/{order_id}/cancel", response_class=HTMLResponse)
async def cancel(request: Request, visit: Desked, order_id: str, form: Form) -> Response:
    """Cancel every unshipped unit of the order."""
    try:
        await visit.services.orders.cancel(order_id, form.get("reason", "").strip() or "cancelled on request")
    except ApiProblem as problem:
        found = await visit.services.orders.order(order_id)
        invoices = await _invoices_of(visit, found)
        errors = problem_errors(problem, {"reason"})
        return render(
            request,
            "orders/detail.html",
            visit,
            status_code=problem.status,
            order=found,
            invoices=invoices,
            form=form,
            errors=errors,
        )
    return RedirectResponse(f"/orders/{order_id}", status_code=303)


stock_router = APIRouter(prefix="/stock", include_in_schema=False)


@stock_router.get("", response_class=HTMLResponse)
async def stock(request: Request, visit: Desked, q: str = "", having: str = "", cursor: str = "") -> Response:
    page = await visit.services.orders.stock(q or None, having or None, cursor or None)
    return render(request, "orders/stock.html", visit, page=page, q=q, having=having)
