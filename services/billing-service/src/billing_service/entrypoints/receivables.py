"""Receivables endpoints: billing accounts, invoices, payments and allocations, credit notes,
write-offs, refunds, statements and the dunning run."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from backoffice_events.catalog.billing import (
    CreditNoteLine,
    DunningNoticeIssued,
    InvoiceLine,
    InvoiceOverdue,
    VatRateAmount,
)
from backoffice_events.money import Money
from backoffice_events.receivables import LineCreditRequest
from backoffice_platform.app import ctx_of
from backoffice_platform.errors import NotFound
from backoffice_platform.http import IsoDate, etag

from ..adapters.receivables import AccountRecord, CreditNoteRecord, InvoiceRecord, list_invoices, read_invoice
from ..domain.invoices import InvoiceStatus
from ..domain.statement import (
    CustomerStatement,
    StatementCredit,
    StatementOpenItem,
    StatementPayment,
    StatementRefund,
)
from ..service_layer import accounts, cash, collections, credit, invoicing, statements
from ..service_layer.cash import PaymentDetails, RefundResult
from ..service_layer.collections import DunningRun
from .common import (
    BillingClerk,
    CustomerReader,
    EnteredMoney,
    IdempotencyKey,
    ReceivablesReader,
    after_seq,
    answer,
    keyed,
    next_cursor,
)

router = APIRouter(tags=["receivables"])

CustomerId = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")]
Reason = Annotated[str, Field(min_length=1, max_length=1000)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# views ------------------------------------------------------------------------------------------
class AccountView(BaseModel):
    customer_id: str
    currency: str
    payment_terms_days: int
    credit_limit: Money | None
    dunning_contact: str | None
    unapplied_cash: Money = Field(description="payments and credits not yet applied to an invoice")
    auto_apply_cash: bool = Field(description="unapplied cash is applied to each new invoice automatically")
    opened_at: dt.datetime
    version: int

    @classmethod
    def of(cls, held: AccountRecord) -> AccountView:
        account = held.account
        return cls(
            customer_id=account.customer_id,
            currency=account.currency,
            payment_terms_days=account.payment_terms_days,
            credit_limit=account.credit_limit,
            dunning_contact=account.dunning_contact,
            unapplied_cash=held.unapplied,
            auto_apply_cash=account.auto_apply_cash,
            opened_at=held.opened_at,
            version=account.version,
        )


class CreditNoteView(BaseModel):
    credit_note_id: str
    number: str
    invoice_id: str
    customer_id: str
    remedy_id: str | None
    ticket_id: str | None
    net: Money
    vat: Money
    gross: Money
    applied: Money = Field(description="what reduced the invoice")
    unapplied: Money = Field(description="what became unapplied cash (the invoice was already paid)")
    reason: str
    issue_date: dt.date
    lines: list[CreditNoteLine] = Field(description="credited lines, VAT at each line's own rate")
    vat_breakdown: list[VatRateAmount] = Field(description="taxable net and VAT per rate")

    @classmethod
    def of(cls, note: CreditNoteRecord) -> CreditNoteView:
        return cls(
            credit_note_id=note.credit_note_id,
            number=note.number,
            invoice_id=note.invoice_id,
            customer_id=note.customer_id,
            remedy_id=note.remedy_id,
            ticket_id=note.ticket_id,
            net=note.net,
            vat=note.vat,
            gross=note.gross,
            applied=note.applied,
            unapplied=note.unapplied,
            reason=note.reason,
            issue_date=note.issue_date,
            lines=note.lines,
            vat_breakdown=note.vat_breakdown,
        )


class InvoiceView(BaseModel):
    invoice_id: str
    number: str
    customer_id: str
    order_id: str
    shipment_id: str
    issue_date: dt.date
    delivery_date: dt.date | None = Field(description="the shipment's date (in the company's time zone)")
    due_date: dt.date
    currency: str
    lines: list[InvoiceLine]
    net: Money
    vat: Money
    gross: Money
    paid: Money
    credited: Money
    written_off: Money
    open_amount: Money
    status: InvoiceStatus
    paid_on: dt.date | None
    overdue: bool
    dunning_level: int
    credit_notes: list[CreditNoteView]
    version: int

    @classmethod
    def of(cls, record: InvoiceRecord) -> InvoiceView:
        invoice = record.invoice
        return cls(
            invoice_id=invoice.invoice_id,
            number=invoice.number,
            customer_id=invoice.customer_id,
            order_id=invoice.order_id,
            shipment_id=invoice.shipment_id,
            issue_date=invoice.issue_date,
            delivery_date=invoice.delivery_date,
            due_date=invoice.due_date,
            currency=invoice.currency,
            lines=record.lines,
            net=invoice.net,
            vat=invoice.vat,
            gross=invoice.gross,
            paid=invoice.paid,
            credited=invoice.credited,
            written_off=invoice.written_off,
            open_amount=invoice.open_amount if invoice.status == "open" else Money.zero(invoice.currency),
            status=invoice.status,
            paid_on=invoice.paid_on if invoice.status == "paid" else None,
            overdue=invoice.overdue,
            dunning_level=invoice.dunning_level,
            credit_notes=[CreditNoteView.of(note) for note in record.credit_notes],
            version=invoice.version,
        )


class InvoicePage(BaseModel):
    items: list[InvoiceView]
    next_cursor: str | None


class AllocationView(BaseModel):
    invoice_id: str
    amount: Money


class PaymentView(BaseModel):
    payment_id: str
    customer_id: str
    amount: Money
    received_on: dt.date
    payer_reference: str | None
    bank_transaction_id: str
    allocations: list[AllocationView]
    unapplied: Money

    @classmethod
    def of(cls, details: PaymentDetails) -> PaymentView:
        payment = details.payment
        return cls(
            payment_id=payment.payment_id,
            customer_id=payment.customer_id,
            amount=payment.amount,
            received_on=payment.received_on,
            payer_reference=payment.payer_reference,
            bank_transaction_id=payment.bank_transaction_id,
            allocations=[
                AllocationView(invoice_id=invoice_id, amount=amount)
                for invoice_id, amount in sorted(details.allocations.items())
            ],
            unapplied=details.unapplied,
        )


class RefundView(BaseModel):
    refund_id: str
    customer_id: str
    amount: Money
    refunded_on: dt.date
    reason: str
    unapplied_cash: Money = Field(description="the customer's unapplied cash after the refund")

    @classmethod
    def of(cls, result: RefundResult) -> RefundView:
        refund = result.refund
        return cls(
            refund_id=refund.refund_id,
            customer_id=refund.customer_id,
            amount=refund.amount,
            refunded_on=refund.refunded_on,
            reason=refund.reason,
            unapplied_cash=result.unapplied_after,
        )


class StatementView(BaseModel):
    customer_id: str
    currency: str
    as_of: dt.date
    period_start: dt.date | None
    open_items: list[StatementOpenItem]
    payments: list[StatementPayment]
    credits: list[StatementCredit]
    refunds: list[StatementRefund]
    total_open: Money
    unapplied_cash: Money
    balance: Money = Field(description="total open minus unapplied cash; negative: we owe the customer")

    @classmethod
    def of(cls, s: CustomerStatement) -> StatementView:
        return cls(
            customer_id=s.customer_id,
            currency=s.currency,
            as_of=s.as_of,
            period_start=s.period_start,
            open_items=list(s.open_items),
            payments=list(s.payments),
            credits=list(s.credits),
            refunds=list(s.refunds),
            total_open=s.total_open,
            unapplied_cash=s.unapplied_cash,
            balance=s.balance,
        )


class OverdueView(BaseModel):
    invoice_id: str
    customer_id: str
    due_date: dt.date
    open_amount: Money

    @classmethod
    def of(cls, e: InvoiceOverdue) -> OverdueView:
        return cls(
            invoice_id=e.invoice_id, customer_id=e.customer_id, due_date=e.due_date, open_amount=e.open_amount
        )


class NoticeView(BaseModel):
    invoice_id: str
    customer_id: str
    level: int
    level_name: str
    days_overdue: int
    open_amount: Money
    contact: str | None

    @classmethod
    def of(cls, e: DunningNoticeIssued) -> NoticeView:
        return cls(
            invoice_id=e.invoice_id,
            customer_id=e.customer_id,
            level=e.level,
            level_name=e.level_name,
            days_overdue=e.days_overdue,
            open_amount=e.open_amount,
            contact=e.contact,
        )


class DunningRunView(BaseModel):
    as_of: dt.date
    examined: int = Field(description="open invoices past due that were looked at")
    overdue: list[OverdueView] = Field(description="invoices that became overdue in this run")
    notices: list[NoticeView]

    @classmethod
    def of(cls, run: DunningRun) -> DunningRunView:
        return cls(
            as_of=run.as_of,
            examined=run.examined,
            overdue=[OverdueView.of(e) for e in run.overdue],
            notices=[NoticeView.of(e) for e in run.notices],
        )


# requests ---------------------------------------------------------------------------------------
class NewAccount(_Body):
    customer_id: CustomerId
    currency: str = Field(min_length=3, max_length=3)
    payment_terms_days: int = 30
    credit_limit: EnteredMoney | None = None
    dunning_contact: str | None = Field(default=None, max_length=200)


class NewPayment(_Body):
    customer_id: CustomerId
    amount: EnteredMoney
    received_on: IsoDate | None = Field(default=None, description="default: today")
    payer_reference: str | None = Field(default=None, max_length=500)
    bank_transaction_id: str = Field(min_length=1, max_length=200)


class NewAllocation(_Body):
    invoice_id: str = Field(min_length=1, max_length=100)
    amount: EnteredMoney


class Unallocation(_Body):
    invoice_id: str = Field(min_length=1, max_length=100)
    amount: EnteredMoney
    reason: Reason


class Reallocation(_Body):
    from_invoice_id: str = Field(min_length=1, max_length=100)
    to_invoice_id: str = Field(min_length=1, max_length=100)
    amount: EnteredMoney
    reason: Reason


class CreditLine(_Body):
    line_no: int = Field(ge=1, description="the invoice line credited")
    quantity: int | None = Field(default=None, ge=1, description="units credited")
    amount: EnteredMoney | None = Field(default=None, description="gross amount of that line credited")


class NewCreditNote(_Body):
    lines: list[CreditLine] = Field(
        default_factory=list,
        max_length=1000,
        description="lines credited, each by quantity or gross amount; none: all still creditable",
    )
    amount: EnteredMoney | None = Field(
        default=None,
        description="instead of lines: a gross amount spread over the lines in proportion to what"
        " each can still be credited",
    )
    reason: Reason
    ticket_id: str | None = Field(default=None, max_length=100)


class WriteOff(_Body):
    reason: Reason


class NewRefund(_Body):
    amount: EnteredMoney
    reason: str = Field(default="", max_length=1000)


# accounts ---------------------------------------------------------------------------------------
@router.post("/accounts", status_code=201, response_model=AccountView)
async def open_account(
    body: NewAccount, request: Request, principal: BillingClerk, idempotency_key: IdempotencyKey = None
) -> AccountView | JSONResponse:
    """Open a customer's billing account (accounts also open themselves on a first shipment)."""
    outcome = await invoicing.open_account(
        ctx_of(request),
        body.customer_id,
        body.currency,
        body.payment_terms_days,
        body.credit_limit,
        body.dunning_contact,
        keyed(principal, "open-account", idempotency_key, body, AccountView.of),
    )
    return answer(outcome, AccountView.of)


@router.get("/accounts/{customer_id}", response_model=AccountView)
async def read_account(
    customer_id: str, request: Request, response: Response, principal: ReceivablesReader
) -> AccountView:
    async with ctx_of(request).engine.connect() as conn:
        held = await accounts.require_account(conn, customer_id)
    response.headers["ETag"] = etag(held.account.version)
    return AccountView.of(held)


# invoices ---------------------------------------------------------------------------------------
@router.get("/invoices/{invoice_id}", response_model=InvoiceView)
async def read_invoice_view(
    invoice_id: str, request: Request, response: Response, principal: CustomerReader
) -> InvoiceView:
    """An invoice; partners see only their own customers' invoices."""
    async with ctx_of(request).engine.connect() as conn:
        record = await read_invoice(conn, invoice_id)
    if record is None or not principal.can_see_customer(record.invoice.customer_id):
        raise NotFound(f"no invoice {invoice_id}", field="invoice_id", rule="invoice-not-found")
    response.headers["ETag"] = etag(record.invoice.version)
    return InvoiceView.of(record)


@router.get("/invoices", response_model=InvoicePage)
async def list_invoice_views(
    request: Request,
    principal: CustomerReader,
    customer_id: str | None = None,
    status: Literal["open", "paid", "written_off"] | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InvoicePage:
    """Invoices in issue order, by customer and status; partners see only their own customers'."""
    customers: list[str] | None = None if customer_id is None else [customer_id]
    if principal.is_partner:
        customers = [c for c in (customers or sorted(principal.customers)) if principal.can_see_customer(c)]
    async with ctx_of(request).engine.connect() as conn:
        records, last = await list_invoices(
            conn, customer_ids=customers, status=status, after_seq=after_seq(cursor), limit=limit
        )
    return InvoicePage(items=[InvoiceView.of(r) for r in records], next_cursor=next_cursor(last))


@router.post("/invoices/{invoice_id}/credit-notes", status_code=201, response_model=CreditNoteView)
async def credit_invoice(
    invoice_id: str,
    body: NewCreditNote,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> CreditNoteView | JSONResponse:
    """Credit (part of) an invoice by line, VAT at each line's rate; what exceeds its open amount
    becomes unapplied cash."""
    outcome = await credit.credit_invoice(
        ctx_of(request),
        invoice_id,
        [LineCreditRequest(line.line_no, line.quantity, line.amount) for line in body.lines],
        body.reason,
        body.ticket_id,
        keyed(principal, f"credit:{invoice_id}", idempotency_key, body, CreditNoteView.of),
        amount=body.amount,
    )
    return answer(outcome, CreditNoteView.of)


@router.post("/invoices/{invoice_id}/write-off", response_model=InvoiceView)
async def write_off_invoice(
    invoice_id: str,
    body: WriteOff,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> InvoiceView | JSONResponse:
    """Write off what is still open on an invoice as bad debt."""
    outcome = await credit.write_off_invoice(
        ctx_of(request),
        invoice_id,
        body.reason,
        keyed(principal, f"write-off:{invoice_id}", idempotency_key, body, InvoiceView.of, status=200),
    )
    return answer(outcome, InvoiceView.of)


# payments ---------------------------------------------------------------------------------------
@router.post("/payments", status_code=201, response_model=PaymentView)
async def post_payment(
    body: NewPayment, request: Request, principal: BillingClerk, idempotency_key: IdempotencyKey = None
) -> PaymentView | JSONResponse:
    """Post a received payment: to the invoices its reference names, then oldest due first;
    the rest stays as unapplied cash."""
    ctx = ctx_of(request)
    outcome = await cash.post_payment(
        ctx,
        body.customer_id,
        body.amount,
        body.received_on or ctx.clock.today(),
        body.bank_transaction_id,
        body.payer_reference,
        keyed(principal, "post-payment", idempotency_key, body, PaymentView.of),
    )
    return answer(outcome, PaymentView.of)


@router.get("/payments/{payment_id}", response_model=PaymentView)
async def read_payment(payment_id: str, request: Request, principal: ReceivablesReader) -> PaymentView:
    ctx = ctx_of(request)
    async with ctx.engine.connect() as conn:
        details = await cash.payment_details(conn, ctx, payment_id)
    if details is None:
        raise NotFound(f"no payment {payment_id}", field="payment_id", rule="payment-not-found")
    return PaymentView.of(details)


@router.post("/payments/{payment_id}/allocations", status_code=201, response_model=PaymentView)
async def allocate_payment(
    payment_id: str,
    body: NewAllocation,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> PaymentView | JSONResponse:
    """Allocate unapplied cash of a payment to an invoice by hand."""
    outcome = await cash.allocate(
        ctx_of(request),
        payment_id,
        body.invoice_id,
        body.amount,
        keyed(principal, f"allocate:{payment_id}", idempotency_key, body, PaymentView.of),
    )
    return answer(outcome, PaymentView.of)


@router.post("/payments/{payment_id}/unallocations", status_code=201, response_model=PaymentView)
async def unallocate_payment(
    payment_id: str,
    body: Unallocation,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> PaymentView | JSONResponse:
    """Take (part of) an allocation back to unapplied cash; a paid invoice reopens."""
    outcome = await cash.unallocate(
        ctx_of(request),
        payment_id,
        body.invoice_id,
        body.amount,
        body.reason,
        keyed(principal, f"unallocate:{payment_id}", idempotency_key, body, PaymentView.of),
    )
    return answer(outcome, PaymentView.of)


@router.post("/payments/{payment_id}/reallocations", status_code=201, response_model=PaymentView)
async def reallocate_payment(
    payment_id: str,
    body: Reallocation,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> PaymentView | JSONResponse:
    """Move an allocation of a payment from one invoice to another."""
    outcome = await cash.reallocate(
        ctx_of(request),
        payment_id,
        body.from_invoice_id,
        body.to_invoice_id,
        body.amount,
        body.reason,
        keyed(principal, f"reallocate:{payment_id}", idempotency_key, body, PaymentView.of),
    )
    return answer(outcome, PaymentView.of)


# customers --------------------------------------------------------------------------------------
@router.post("/customers/{customer_id}/refunds", status_code=201, response_model=RefundView)
async def refund_customer(
    customer_id: str,
    body: NewRefund,
    request: Request,
    principal: BillingClerk,
    idempotency_key: IdempotencyKey = None,
) -> RefundView | JSONResponse:
    """Pay unapplied cash back to the customer."""
    outcome = await cash.refund(
        ctx_of(request),
        customer_id,
        body.amount,
        body.reason,
        keyed(principal, f"refund:{customer_id}", idempotency_key, body, RefundView.of),
    )
    return answer(outcome, RefundView.of)


@router.get("/customers/{customer_id}/statement", response_model=StatementView)
async def customer_statement(
    customer_id: str,
    request: Request,
    principal: CustomerReader,
    as_of: IsoDate | None = None,
    period_start: Annotated[IsoDate | None, Query(alias="from")] = None,
) -> StatementView:
    """Open items, payments, credits and balance of a customer at ``as_of`` (default today);
    activity lists start at ``from`` (default: the beginning)."""
    if not principal.can_see_customer(customer_id):
        raise accounts.no_billing_account(customer_id)
    ctx = ctx_of(request)
    found = await statements.statement(ctx, customer_id, as_of or ctx.clock.today(), period_start)
    return StatementView.of(found)


# jobs -------------------------------------------------------------------------------------------
@router.post("/jobs/dunning", response_model=DunningRunView, tags=["jobs"])
async def run_dunning(
    request: Request, principal: BillingClerk, as_of: IsoDate | None = None
) -> DunningRunView:
    """Run collections for ``as_of`` (default today): overdue invoices and dunning notices."""
    ctx = ctx_of(request)
    run = await collections.run_dunning(ctx, as_of or ctx.clock.today())
    return DunningRunView.of(run)
