"""Procure to pay: suppliers, bills entered and approved by different people, payments and runs."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog import EventModel
from backoffice_events.catalog.payables import SupplierPaymentMade
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict, DomainError, NotFound
from backoffice_platform.idempotency import IdempotentReplay

from ..adapters.chart import chart_accounts
from ..adapters.payables import (
    bill_stream,
    get_bill,
    get_supplier,
    insert_bill,
    insert_supplier,
    payable_bills,
    save_bill,
    supplier_invoice_number_used,
    supplier_stream,
)
from ..adapters.sql import violates
from ..domain.chart import check_bill_accounts
from ..domain.payables import (
    BillLineInput,
    DuplicateSupplierInvoiceNumber,
    Supplier,
    SupplierBill,
    payment_run,
    register_supplier,
)
from .idempotency import Idempotency, claim, remember
from .periods import require_open


async def add_supplier(
    ctx: ServiceContext,
    supplier_id: str | None,
    name: str,
    currency: str,
    payment_terms_days: int,
    idempotency: Idempotency[Supplier] | None = None,
) -> Supplier | IdempotentReplay:
    """Register a supplier (id generated unless given). Rules: the domain's, ``duplicate-supplier`` (409)."""
    registered = register_supplier(
        supplier_id or f"sup-{uuid.uuid4().hex[:12]}", name, currency, payment_terms_days
    )
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        if not await insert_supplier(conn, registered):
            raise Conflict(
                f"supplier {registered.supplier_id} already exists",
                field="supplier_id",
                rule="duplicate-supplier",
            )
        await ctx.store.append(
            conn,
            supplier_stream(registered.supplier_id),
            "supplier",
            0,
            [registered],
            occurred_at=ctx.clock.now(),
        )
        supplier = Supplier.registered(registered)
        await remember(conn, idempotency, supplier)
    return supplier


async def _record_bill(
    conn: AsyncConnection, ctx: ServiceContext, bill: SupplierBill, events: Sequence[EventModel]
) -> None:
    await ctx.store.append(
        conn, bill_stream(bill.bill_id), "supplier_bill", bill.version, events, occurred_at=ctx.clock.now()
    )
    for event in events:
        bill.apply(event)
    await save_bill(conn, bill)


async def _bill(conn: AsyncConnection, bill_id: str, expected_version: int | None = None) -> SupplierBill:
    bill = await get_bill(conn, bill_id, for_update=True)
    if bill is None:
        raise NotFound(f"no supplier bill {bill_id}", field="bill_id", rule="bill-not-found")
    if expected_version is not None and expected_version != bill.version:
        raise Conflict(
            f"bill {bill_id} is at version {bill.version}, not {expected_version}",
            field="If-Match",
            rule="version-mismatch",
        )
    return bill


async def enter_bill(
    ctx: ServiceContext,
    supplier_id: str,
    supplier_invoice_number: str,
    bill_date: dt.date,
    due_date: dt.date | None,
    lines: Sequence[BillLineInput],
    entered_by: str,
    idempotency: Idempotency[SupplierBill] | None = None,
) -> SupplierBill | IdempotentReplay:
    """Record a supplier's bill as received, awaiting approval. Rules: the domain's,
    ``unknown-supplier``, ``duplicate-supplier-invoice-number`` (409)."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        supplier = await get_supplier(conn, supplier_id)
        if supplier is None:
            raise DomainError(f"no supplier {supplier_id}", field="supplier_id", rule="unknown-supplier")
        received = SupplierBill.receive(
            supplier, str(uuid.uuid4()), supplier_invoice_number, bill_date, lines, entered_by, due_date
        )
        check_bill_accounts(
            received.lines, await chart_accounts(conn, (x.expense_account for x in received.lines))
        )
        if await supplier_invoice_number_used(conn, supplier_id, supplier_invoice_number):
            raise DuplicateSupplierInvoiceNumber(supplier_id, supplier_invoice_number)
        try:
            await insert_bill(conn, received)
        except IntegrityError as exc:  # entered twice at the same moment
            if violates(exc, "supplier_bills_invoice_number_unique"):
                raise DuplicateSupplierInvoiceNumber(supplier_id, supplier_invoice_number) from None
            raise
        await ctx.store.append(
            conn, bill_stream(received.bill_id), "supplier_bill", 0, [received], occurred_at=ctx.clock.now()
        )
        bill = SupplierBill.received(received)
        await remember(conn, idempotency, bill)
    return bill


async def approve_bill(
    ctx: ServiceContext, bill_id: str, approver: str, expected_version: int | None = None
) -> SupplierBill:
    """Approve a bill for payment; whoever entered it cannot (rule ``approver-is-enterer``, 403);
    every line's account must still be postable (``account-not-postable``: it may have closed)."""
    async with ctx.engine.begin() as conn:
        await require_open(conn, ctx.clock.today(), "approved_on")
        bill = await _bill(conn, bill_id, expected_version)
        approved = bill.approve(approver, ctx.clock.today())
        check_bill_accounts(bill.lines, await chart_accounts(conn, (x.expense_account for x in bill.lines)))
        await _record_bill(conn, ctx, bill, [approved])
    return bill


async def reject_bill(
    ctx: ServiceContext, bill_id: str, by: str, reason: str, expected_version: int | None = None
) -> SupplierBill:
    """Reject a bill; it will not be paid."""
    async with ctx.engine.begin() as conn:
        bill = await _bill(conn, bill_id, expected_version)
        await _record_bill(conn, ctx, bill, [bill.reject(by, reason)])
    return bill


async def pay_bill(
    ctx: ServiceContext, bill_id: str, idempotency: Idempotency[SupplierBill] | None = None
) -> SupplierBill | IdempotentReplay:
    """Pay one approved bill now, outside a run. Rules ``bill-not-approved``, ``bill-already-paid``."""
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        await require_open(conn, ctx.clock.today(), "paid_on")
        bill = await _bill(conn, bill_id)
        await _record_bill(conn, ctx, bill, [bill.pay(str(uuid.uuid4()), None, ctx.clock.today())])
        await remember(conn, idempotency, bill)
    return bill


@dataclass(frozen=True)
class PaymentRun:
    payment_run_id: str
    pay_by: dt.date
    paid_on: dt.date
    payments: list[SupplierPaymentMade]


async def run_payments(
    ctx: ServiceContext, pay_by: dt.date, idempotency: Idempotency[PaymentRun] | None = None
) -> PaymentRun | IdempotentReplay:
    """Pay every approved, unpaid bill due by ``pay_by``: one ``SupplierPaymentMade`` per bill.

    The bills are locked for the run, so two runs at once never pay a bill twice.
    """
    async with ctx.engine.begin() as conn:
        if replay := await claim(conn, idempotency):
            return replay
        run_id = str(uuid.uuid4())
        paid_on = ctx.clock.today()
        await require_open(conn, paid_on, "paid_on")
        bills = {bill.bill_id: bill for bill in await payable_bills(conn, pay_by)}
        payments = payment_run(run_id, bills.values(), pay_by, paid_on, lambda _bill: str(uuid.uuid4()))
        for payment in payments:
            await _record_bill(conn, ctx, bills[payment.bill_id], [payment])
        result = PaymentRun(run_id, pay_by, paid_on, payments)
        await remember(conn, idempotency, result)
    return result
