"""Payables endpoints: suppliers, supplier bills (enter, approve, reject, pay) and payment runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.catalog.payables import BillLine
from backoffice_events.money import Money
from backoffice_platform.app import ctx_of
from backoffice_platform.errors import NotFound
from backoffice_platform.http import IsoDate, etag, parse_if_match

from ..adapters.payables import get_bill, get_supplier, list_bills
from ..domain.payables import BillLineInput, BillStatus, Supplier, SupplierBill
from ..service_layer import payables
from ..service_layer.payables import PaymentRun
from .common import (
    Approver,
    EnteredMoney,
    IdempotencyKey,
    IfMatch,
    PayablesClerk,
    PayablesReader,
    after_seq,
    answer,
    keyed,
    next_cursor,
)

router = APIRouter(tags=["payables"])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# views ------------------------------------------------------------------------------------------
class SupplierView(BaseModel):
    supplier_id: str
    name: str
    currency: str
    payment_terms_days: int

    @classmethod
    def of(cls, s: Supplier) -> SupplierView:
        return cls(
            supplier_id=s.supplier_id,
            name=s.name,
            currency=s.currency,
            payment_terms_days=s.payment_terms_days,
        )


class BillView(BaseModel):
    bill_id: str
    supplier_id: str
    supplier_invoice_number: str
    bill_date: dt.date
    due_date: dt.date
    currency: str
    lines: list[BillLine]
    net: Money
    vat: Money
    gross: Money
    entered_by: str
    status: BillStatus
    approved_by: str | None
    approved_on: dt.date | None
    rejected_by: str | None
    rejection_reason: str | None
    payment_id: str | None
    payment_run_id: str | None
    paid_on: dt.date | None
    version: int

    @classmethod
    def of(cls, b: SupplierBill) -> BillView:
        return cls(
            bill_id=b.bill_id,
            supplier_id=b.supplier_id,
            supplier_invoice_number=b.supplier_invoice_number,
            bill_date=b.bill_date,
            due_date=b.due_date,
            currency=b.currency,
            lines=b.lines,
            net=b.net,
            vat=b.vat,
            gross=b.gross,
            entered_by=b.entered_by,
            status=b.status,
            approved_by=b.approved_by,
            approved_on=b.approved_on,
            rejected_by=b.rejected_by,
            rejection_reason=b.rejection_reason,
            payment_id=b.payment_id,
            payment_run_id=b.payment_run_id,
            paid_on=b.paid_on,
            version=b.version,
        )


class BillPage(BaseModel):
    items: list[BillView]
    next_cursor: str | None


class SupplierPaymentView(BaseModel):
    bill_id: str
    supplier_id: str
    payment_id: str
    amount: Money


class PaymentRunView(BaseModel):
    payment_run_id: str
    pay_by: dt.date
    paid_on: dt.date
    payments: list[SupplierPaymentView]

    @classmethod
    def of(cls, run: PaymentRun) -> PaymentRunView:
        return cls(
            payment_run_id=run.payment_run_id,
            pay_by=run.pay_by,
            paid_on=run.paid_on,
            payments=[
                SupplierPaymentView(
                    bill_id=p.bill_id, supplier_id=p.supplier_id, payment_id=p.payment_id, amount=p.amount
                )
                for p in run.payments
            ],
        )


# requests ---------------------------------------------------------------------------------------
class NewSupplier(_Body):
    supplier_id: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$"
    )
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(min_length=3, max_length=3)
    payment_terms_days: int = 30


class NewBillLine(_Body):
    description: str = Field(min_length=1, max_length=500)
    expense_account: str = Field(min_length=1, max_length=50)
    net: EnteredMoney
    vat_rate: Decimal = Field(description="fraction, 0.21 for 21 %")


class NewBill(_Body):
    supplier_id: str = Field(min_length=1, max_length=100)
    supplier_invoice_number: str = Field(min_length=1, max_length=100)
    bill_date: IsoDate
    due_date: IsoDate | None = Field(default=None, description="default: bill date plus the supplier's terms")
    lines: list[NewBillLine] = Field(max_length=500)


class Rejection(_Body):
    reason: str = Field(min_length=1, max_length=1000)


class NewPaymentRun(_Body):
    pay_by: IsoDate = Field(description="pay every approved, unpaid bill due on or before this date")


# suppliers --------------------------------------------------------------------------------------
@router.post("/suppliers", status_code=201, response_model=SupplierView)
async def add_supplier(
    body: NewSupplier, request: Request, principal: PayablesClerk, idempotency_key: IdempotencyKey = None
) -> SupplierView | JSONResponse:
    outcome = await payables.add_supplier(
        ctx_of(request),
        body.supplier_id,
        body.name,
        body.currency,
        body.payment_terms_days,
        keyed(principal, "add-supplier", idempotency_key, body, SupplierView.of),
    )
    return answer(outcome, SupplierView.of)


@router.get("/suppliers/{supplier_id}", response_model=SupplierView)
async def read_supplier(supplier_id: str, request: Request, principal: PayablesReader) -> SupplierView:
    async with ctx_of(request).engine.connect() as conn:
        supplier = await get_supplier(conn, supplier_id)
    if supplier is None:
        raise NotFound(f"no supplier {supplier_id}", field="supplier_id", rule="supplier-not-found")
    return SupplierView.of(supplier)


# bills ------------------------------------------------------------------------------------------
@router.post("/supplier-bills", status_code=201, response_model=BillView)
async def enter_bill(
    body: NewBill,
    request: Request,
    response: Response,
    principal: PayablesClerk,
    idempotency_key: IdempotencyKey = None,
) -> BillView | JSONResponse:
    """Enter a supplier's bill; it waits for approval by someone else."""
    outcome = await payables.enter_bill(
        ctx_of(request),
        body.supplier_id,
        body.supplier_invoice_number,
        body.bill_date,
        body.due_date,
        [
            BillLineInput(line.description, line.expense_account, line.net, line.vat_rate)
            for line in body.lines
        ],
        principal.name,
        keyed(principal, "enter-bill", idempotency_key, body, BillView.of),
    )
    if isinstance(outcome, SupplierBill):
        response.headers["ETag"] = etag(outcome.version)
    return answer(outcome, BillView.of)


@router.get("/supplier-bills/{bill_id}", response_model=BillView)
async def read_bill(
    bill_id: str, request: Request, response: Response, principal: PayablesReader
) -> BillView:
    async with ctx_of(request).engine.connect() as conn:
        bill = await get_bill(conn, bill_id)
    if bill is None:
        raise NotFound(f"no supplier bill {bill_id}", field="bill_id", rule="bill-not-found")
    response.headers["ETag"] = etag(bill.version)
    return BillView.of(bill)


@router.get("/supplier-bills", response_model=BillPage)
async def list_bill_views(
    request: Request,
    principal: PayablesReader,
    status: Literal["received", "approved", "rejected", "paid"] | None = None,
    supplier_id: str | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BillPage:
    """Bills in the order they were entered, by status and supplier."""
    async with ctx_of(request).engine.connect() as conn:
        records, last = await list_bills(
            conn, status=status, supplier_id=supplier_id, after_seq=after_seq(cursor), limit=limit
        )
    return BillPage(items=[BillView.of(r.bill) for r in records], next_cursor=next_cursor(last))


@router.post("/supplier-bills/{bill_id}/approve", response_model=BillView)
async def approve_bill(
    bill_id: str, request: Request, response: Response, principal: Approver, if_match: IfMatch = None
) -> BillView:
    """Approve a bill for payment; the caller is the approver and must not have entered it."""
    bill = await payables.approve_bill(ctx_of(request), bill_id, principal.name, parse_if_match(if_match))
    response.headers["ETag"] = etag(bill.version)
    return BillView.of(bill)


@router.post("/supplier-bills/{bill_id}/reject", response_model=BillView)
async def reject_bill(
    bill_id: str,
    body: Rejection,
    request: Request,
    response: Response,
    principal: Approver,
    if_match: IfMatch = None,
) -> BillView:
    bill = await payables.reject_bill(
        ctx_of(request), bill_id, principal.name, body.reason, parse_if_match(if_match)
    )
    response.headers["ETag"] = etag(bill.version)
    return BillView.of(bill)


@router.post("/supplier-bills/{bill_id}/payment", response_model=BillView)
async def pay_bill(
    bill_id: str, request: Request, principal: PayablesClerk, idempotency_key: IdempotencyKey = None
) -> BillView | JSONResponse:
    """Pay one approved bill now, outside a payment run."""
    outcome = await payables.pay_bill(
        ctx_of(request),
        bill_id,
        keyed(principal, f"pay-bill:{bill_id}", idempotency_key, {}, BillView.of, 200),
    )
    return answer(outcome, BillView.of)


@router.post("/payment-runs", status_code=201, response_model=PaymentRunView)
async def run_payments(
    body: NewPaymentRun, request: Request, principal: PayablesClerk, idempotency_key: IdempotencyKey = None
) -> PaymentRunView | JSONResponse:
    """Pay every approved, unpaid bill due by ``pay_by``: one supplier payment per bill."""
    outcome = await payables.run_payments(
        ctx_of(request),
        body.pay_by,
        keyed(principal, "payment-run", idempotency_key, body, PaymentRunView.of),
    )
    return answer(outcome, PaymentRunView.of)
