"""Payables read models: suppliers and supplier bills. Streams ``supplier-<id>``, ``supplier-bill-<id>``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.payables import BillLine, SupplierBillReceived, SupplierRegistered

from ..domain.payables import Supplier, SupplierBill, supplier_invoice_key
from .sql import json_text, json_value, money, page_after


def supplier_stream(supplier_id: str) -> str:
    return f"supplier-{supplier_id}"


def bill_stream(bill_id: str) -> str:
    return f"supplier-bill-{bill_id}"


# suppliers ------------------------------------------------------------------------------------
async def get_supplier(conn: AsyncConnection, supplier_id: str) -> Supplier | None:
    row = (
        await conn.execute(
            text(
                "SELECT supplier_id, name, currency, payment_terms_days, version FROM suppliers"
                " WHERE supplier_id = :s"
            ),
            {"s": supplier_id},
        )
    ).one_or_none()
    if row is None:
        return None
    return Supplier(row.supplier_id, row.name, row.currency.strip(), row.payment_terms_days, row.version)


async def insert_supplier(conn: AsyncConnection, registered: SupplierRegistered) -> bool:
    """Insert the supplier unless the id is taken (False then)."""
    inserted = (
        await conn.execute(
            text(
                "INSERT INTO suppliers (supplier_id, name, currency, payment_terms_days, version)"
                " VALUES (:s, :name, :currency, :terms, 1) ON CONFLICT (supplier_id) DO NOTHING"
                " RETURNING supplier_id"
            ),
            {
                "s": registered.supplier_id,
                "name": registered.name,
                "currency": registered.currency,
                "terms": registered.payment_terms_days,
            },
        )
    ).one_or_none()
    return inserted is not None


# bills ----------------------------------------------------------------------------------------
_BILL_COLUMNS = (
    "bill_id, seq, supplier_id, supplier_invoice_number, bill_date, due_date, currency,"
    " lines::text AS lines, net, vat, gross, entered_by, status, approved_by, approved_on, rejected_by,"
    " rejection_reason, payment_id, payment_run_id, paid_on, version"
)


@dataclass(frozen=True)
class BillRecord:
    bill: SupplierBill
    seq: int


def _bill(row: Any) -> SupplierBill:
    currency = row.currency.strip()
    return SupplierBill(
        bill_id=row.bill_id,
        supplier_id=row.supplier_id,
        supplier_invoice_number=row.supplier_invoice_number,
        bill_date=row.bill_date,
        due_date=row.due_date,
        currency=currency,
        lines=[BillLine.model_validate(line) for line in json_value(row.lines)],
        net=money(row.net, currency),
        vat=money(row.vat, currency),
        gross=money(row.gross, currency),
        entered_by=row.entered_by,
        status=row.status,
        approved_by=row.approved_by,
        approved_on=row.approved_on,
        rejected_by=row.rejected_by,
        rejection_reason=row.rejection_reason,
        payment_id=row.payment_id,
        payment_run_id=row.payment_run_id,
        paid_on=row.paid_on,
        version=row.version,
    )


async def get_bill(conn: AsyncConnection, bill_id: str, *, for_update: bool = False) -> SupplierBill | None:
    lock = " FOR UPDATE" if for_update else ""
    row = (
        await conn.execute(
            text(f"SELECT {_BILL_COLUMNS} FROM supplier_bills WHERE bill_id = :b" + lock),  # noqa: S608
            {"b": bill_id},
        )
    ).one_or_none()
    return None if row is None else _bill(row)


async def supplier_invoice_number_used(conn: AsyncConnection, supplier_id: str, number: str) -> bool:
    found = (
        await conn.execute(
            text("SELECT 1 FROM supplier_bills WHERE supplier_id = :s AND supplier_invoice_key = :k"),
            {"s": supplier_id, "k": supplier_invoice_key(number)},
        )
    ).scalar_one_or_none()
    return found is not None


async def payable_bills(conn: AsyncConnection, pay_by: dt.date) -> list[SupplierBill]:
    """Approved bills due by ``pay_by``, locked (in id order) for a payment run. Bills another run
    is paying right now are waited for and then re-checked (they will be paid by then)."""
    rows = (
        await conn.execute(
            text(
                f"SELECT {_BILL_COLUMNS} FROM supplier_bills"  # noqa: S608
                " WHERE status = 'approved' AND due_date <= :d ORDER BY bill_id FOR UPDATE"
            ),
            {"d": pay_by},
        )
    ).all()
    return [bill for bill in (_bill(row) for row in rows) if bill.status == "approved"]


async def insert_bill(conn: AsyncConnection, received: SupplierBillReceived) -> None:
    """Read-model row of a received bill; (supplier, invoice number) is unique."""
    await conn.execute(
        text(
            "INSERT INTO supplier_bills (bill_id, supplier_id, supplier_invoice_number, supplier_invoice_key,"
            " bill_date, due_date, currency, lines, net, vat, gross, entered_by, status, version)"
            " VALUES (:id, :supplier, :number, :key, :bill_date, :due, :currency,"
            " CAST(:lines AS text)::jsonb, :net, :vat, :gross, :entered_by, 'received', 1)"
        ),
        {
            "id": received.bill_id,
            "supplier": received.supplier_id,
            "number": received.supplier_invoice_number,
            "key": supplier_invoice_key(received.supplier_invoice_number),
            "bill_date": received.bill_date,
            "due": received.due_date,
            "currency": received.currency,
            "lines": json_text([line.model_dump(mode="json") for line in received.lines]),
            "net": received.net.amount,
            "vat": received.vat.amount,
            "gross": received.gross.amount,
            "entered_by": received.entered_by,
        },
    )


async def save_bill(conn: AsyncConnection, bill: SupplierBill) -> None:
    await conn.execute(
        text(
            "UPDATE supplier_bills SET status = :status, approved_by = :approved_by,"
            " approved_on = :approved_on, rejected_by = :rejected_by, rejection_reason = :reason,"
            " payment_id = :payment, payment_run_id = :run, paid_on = :paid_on, version = :version"
            " WHERE bill_id = :id"
        ),
        {
            "id": bill.bill_id,
            "status": bill.status,
            "approved_by": bill.approved_by,
            "approved_on": bill.approved_on,
            "rejected_by": bill.rejected_by,
            "reason": bill.rejection_reason,
            "payment": bill.payment_id,
            "run": bill.payment_run_id,
            "paid_on": bill.paid_on,
            "version": bill.version,
        },
    )


async def list_bills(
    conn: AsyncConnection,
    *,
    status: str | None,
    supplier_id: str | None,
    after_seq: int,
    limit: int,
) -> tuple[list[BillRecord], int | None]:
    """A page of bills in the order they were entered; returns the page and the seq to continue after."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if status is not None:
        conditions.append("status = :status")
        params["status"] = status
    if supplier_id is not None:
        conditions.append("supplier_id = :supplier")
        params["supplier"] = supplier_id
    rows, last = await page_after(
        conn,
        f"SELECT {_BILL_COLUMNS} FROM supplier_bills",  # noqa: S608
        conditions,
        params,
        after_seq=after_seq,
        limit=limit,
    )
    return [BillRecord(_bill(row), row.seq) for row in rows], last
