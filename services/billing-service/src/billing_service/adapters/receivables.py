"""Receivables read models (billing accounts, number series, invoices, credit notes, payments,
refunds) and a customer's billing events, from which unapplied cash and statements are folded.

Streams: ``billing-account-<customer>``, ``invoice-<id>``, ``payment-<payment or credit note id>``
(allocations of a cash source), ``refund-<id>``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog import BILLING, Catalog, EventModel
from backoffice_events.catalog.billing import (
    BillingAccountOpened,
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    PaymentPosted,
    RefundIssued,
    VatRateAmount,
)
from backoffice_events.money import Money
from backoffice_events.receivables import LineCredited

from ..domain.accounts import BillingAccount
from ..domain.invoices import Invoice
from .sql import json_text, json_value, money, page_after


def account_stream(customer_id: str) -> str:
    return f"billing-account-{customer_id}"


def invoice_stream(invoice_id: str) -> str:
    return f"invoice-{invoice_id}"


def payment_stream(source_id: str) -> str:
    """Stream of a cash source: a payment, or a credit note whose surplus became unapplied cash."""
    return f"payment-{source_id}"


def refund_stream(refund_id: str) -> str:
    return f"refund-{refund_id}"


# billing accounts -----------------------------------------------------------------------------
_READ_ACCOUNT = (
    "SELECT customer_id, currency, payment_terms_days, credit_limit, dunning_contact, unapplied,"
    " auto_apply_cash, version, opened_at FROM billing_accounts WHERE customer_id = :c"
)
_LOCK_ACCOUNT = _READ_ACCOUNT + " FOR UPDATE"


@dataclass(frozen=True)
class AccountRecord:
    """A billing account with the customer's unapplied cash balance."""

    account: BillingAccount
    unapplied: Money
    opened_at: dt.datetime


async def get_account(
    conn: AsyncConnection, customer_id: str, *, for_update: bool = False
) -> AccountRecord | None:
    """The customer's billing account; ``for_update`` locks it (serialises the customer's cash)."""
    row = (
        await conn.execute(text(_LOCK_ACCOUNT if for_update else _READ_ACCOUNT), {"c": customer_id})
    ).one_or_none()
    if row is None:
        return None
    currency = row.currency.strip()
    return AccountRecord(
        account=BillingAccount(
            customer_id=row.customer_id,
            currency=currency,
            payment_terms_days=row.payment_terms_days,
            credit_limit=None if row.credit_limit is None else money(row.credit_limit, currency),
            dunning_contact=row.dunning_contact,
            auto_apply_cash=row.auto_apply_cash,
            version=row.version,
        ),
        unapplied=money(row.unapplied, currency),
        opened_at=row.opened_at,
    )


async def insert_account(conn: AsyncConnection, opened: BillingAccountOpened, at: dt.datetime) -> bool:
    """Insert the account row unless the customer has one. False if one exists (a concurrent
    opener's insert is waited for, so after False the row can be locked)."""
    inserted = (
        await conn.execute(
            text(
                "INSERT INTO billing_accounts (customer_id, currency, payment_terms_days, credit_limit,"
                " dunning_contact, auto_apply_cash, unapplied, version, opened_at)"
                " VALUES (:c, :cur, :terms, :limit, :contact, :auto, 0, 1, :at)"
                " ON CONFLICT (customer_id) DO NOTHING RETURNING customer_id"
            ),
            {
                "c": opened.customer_id,
                "cur": opened.currency,
                "terms": opened.payment_terms_days,
                "limit": None if opened.credit_limit is None else opened.credit_limit.amount,
                "contact": opened.dunning_contact,
                "auto": opened.auto_apply_cash,
                "at": at,
            },
        )
    ).one_or_none()
    return inserted is not None


async def save_account(conn: AsyncConnection, account: BillingAccount) -> None:
    """Write the account's settings that change after opening, and its version."""
    await conn.execute(
        text("UPDATE billing_accounts SET auto_apply_cash = :auto, version = :v WHERE customer_id = :c"),
        {"auto": account.auto_apply_cash, "v": account.version, "c": account.customer_id},
    )


async def add_unapplied(conn: AsyncConnection, customer_id: str, delta: Money) -> None:
    """Move the customer's unapplied cash balance by ``delta``."""
    if delta.is_zero:
        return
    await conn.execute(
        text("UPDATE billing_accounts SET unapplied = unapplied + :d WHERE customer_id = :c"),
        {"d": delta.amount, "c": customer_id},
    )


# number series --------------------------------------------------------------------------------
async def last_issue_date(conn: AsyncConnection, series: str, year: int) -> dt.date | None:
    """Lock the counter of a series and year (creating it) and read the latest date issued in it.

    The lock is held until the caller's transaction ends, so the date decided from it and the
    number taken next (``take_number``) cannot be overtaken by a concurrent issuer.
    """
    await conn.execute(
        text(
            "INSERT INTO number_series (series, year, last_number) VALUES (:s, :y, 0)"
            " ON CONFLICT (series, year) DO NOTHING"
        ),
        {"s": series, "y": year},
    )
    found = (
        await conn.execute(
            text("SELECT last_issue_date FROM number_series WHERE series = :s AND year = :y FOR UPDATE"),
            {"s": series, "y": year},
        )
    ).scalar_one()
    return None if found is None else found  # type: ignore[no-any-return]


async def take_number(conn: AsyncConnection, series: str, year: int, issue_date: dt.date) -> int:
    """Take the next number of a series and year (locked by ``last_issue_date``) for a document
    dated ``issue_date``, which becomes the series' latest date."""
    number = (
        await conn.execute(
            text(
                "UPDATE number_series SET last_number = last_number + 1,"
                " last_issue_date = GREATEST(last_issue_date, :d)"
                " WHERE series = :s AND year = :y RETURNING last_number"
            ),
            {"s": series, "y": year, "d": issue_date},
        )
    ).scalar_one()
    return int(number)


async def next_number(conn: AsyncConnection, series: str, year: int) -> int:
    """Take the next number of a series and year.

    The counter row stays locked until the caller's transaction ends, so concurrent issuers
    queue on it; a rollback gives the number back. Hence numbers are gapless and never reused.
    """
    number = (
        await conn.execute(
            text(
                "INSERT INTO number_series (series, year, last_number) VALUES (:s, :y, 1)"
                " ON CONFLICT (series, year) DO UPDATE SET last_number = number_series.last_number + 1"
                " RETURNING last_number"
            ),
            {"s": series, "y": year},
        )
    ).scalar_one()
    return int(number)


# invoices -------------------------------------------------------------------------------------
_INVOICE_COLUMNS = (
    "invoice_id, seq, number, customer_id, order_id, shipment_id, issue_date, delivery_date, due_date,"
    " currency,"
    " net, vat, gross, paid, credited, credit_applied, written_off, is_written_off, paid_on, overdue,"
    " dunning_level, last_dunned_on, version, lines::text AS invoice_lines,"
    " credited_lines::text AS credited_lines"
)


def _credited_lines(raw: Any, currency: str) -> dict[int, LineCredited]:
    return {
        int(item["line_no"]): LineCredited(
            money(item["net"], currency), money(item["vat"], currency), int(item["quantity"])
        )
        for item in json_value(raw)
    }


def _credited_lines_json(invoice: Invoice) -> str:
    return json_text(
        [
            {"line_no": no, "net": str(c.net.amount), "vat": str(c.vat.amount), "quantity": c.quantity}
            for no, c in sorted(invoice.credited_lines.items())
        ]
    )


def _invoice(row: Any) -> Invoice:
    currency = row.currency.strip()
    return Invoice(
        invoice_id=row.invoice_id,
        customer_id=row.customer_id,
        number=row.number,
        order_id=row.order_id,
        shipment_id=row.shipment_id,
        issue_date=row.issue_date,
        delivery_date=row.delivery_date,
        due_date=row.due_date,
        currency=currency,
        net=money(row.net, currency),
        vat=money(row.vat, currency),
        gross=money(row.gross, currency),
        paid=money(row.paid, currency),
        credited=money(row.credited, currency),
        credit_applied=money(row.credit_applied, currency),
        written_off=money(row.written_off, currency),
        is_written_off=row.is_written_off,
        paid_on=row.paid_on,
        overdue=row.overdue,
        dunning_level=row.dunning_level,
        last_dunned_on=row.last_dunned_on,
        version=row.version,
        lines=tuple(InvoiceLine.model_validate(line) for line in json_value(row.invoice_lines)),
        credited_lines=_credited_lines(row.credited_lines, currency),
    )


async def get_invoice(conn: AsyncConnection, invoice_id: str, *, for_update: bool = False) -> Invoice | None:
    lock = " FOR UPDATE" if for_update else ""
    row = (
        await conn.execute(
            text(f"SELECT {_INVOICE_COLUMNS} FROM invoices WHERE invoice_id = :i" + lock),  # noqa: S608
            {"i": invoice_id},
        )
    ).one_or_none()
    return None if row is None else _invoice(row)


async def invoice_of_shipment(conn: AsyncConnection, shipment_id: str) -> str | None:
    """The id of the invoice already issued for a shipment, if any."""
    found = (
        await conn.execute(text("SELECT invoice_id FROM invoices WHERE shipment_id = :s"), {"s": shipment_id})
    ).scalar_one_or_none()
    return None if found is None else str(found)


async def open_invoices(
    conn: AsyncConnection, customer_id: str, *, for_update: bool = False
) -> list[Invoice]:
    """The customer's open invoices (locked in id order when ``for_update``)."""
    lock = " FOR UPDATE" if for_update else ""
    rows = (
        await conn.execute(
            text(
                f"SELECT {_INVOICE_COLUMNS} FROM invoices"  # noqa: S608
                " WHERE customer_id = :c AND status = 'open' ORDER BY invoice_id" + lock
            ),
            {"c": customer_id},
        )
    ).all()
    return [_invoice(row) for row in rows]


async def overdue_invoice_ids(conn: AsyncConnection, as_of: dt.date, top_level: int) -> list[str]:
    """Open invoices past their due date at ``as_of``, oldest due first, except those already
    marked overdue and at the ``top_level`` of dunning (collections has nothing left to send)."""
    rows = await conn.execute(
        text(
            "SELECT invoice_id FROM invoices WHERE status = 'open' AND due_date < :d"
            " AND NOT (overdue AND dunning_level >= :top) ORDER BY due_date, seq"
        ),
        {"d": as_of, "top": top_level},
    )
    return [str(r.invoice_id) for r in rows]


async def insert_invoice(conn: AsyncConnection, issued: InvoiceIssued) -> None:
    """The read-model row of a newly issued invoice (unique per shipment and per number)."""
    await conn.execute(
        text(
            "INSERT INTO invoices (invoice_id, number, customer_id, order_id, shipment_id, issue_date,"
            " delivery_date, due_date, currency, lines, net, vat, gross, status, open_amount, version)"
            " VALUES (:id, :number, :customer, :order, :shipment, :issue, :delivery, :due, :currency,"
            " CAST(:lines AS text)::jsonb, :net, :vat, :gross, 'open', :gross, 1)"
        ),
        {
            "id": issued.invoice_id,
            "number": issued.number,
            "customer": issued.customer_id,
            "order": issued.order_id,
            "shipment": issued.shipment_id,
            "issue": issued.issue_date,
            "delivery": issued.delivery_date,
            "due": issued.due_date,
            "currency": issued.currency,
            "lines": json_text([line.model_dump(mode="json") for line in issued.lines]),
            "net": issued.net.amount,
            "vat": issued.vat.amount,
            "gross": issued.gross.amount,
        },
    )


async def save_invoice(conn: AsyncConnection, invoice: Invoice) -> None:
    """Write an invoice's current state to its row."""
    await conn.execute(
        text(
            "UPDATE invoices SET paid = :paid, credited = :credited, credit_applied = :credit_applied,"
            " written_off = :written_off, is_written_off = :is_written_off, status = :status,"
            " open_amount = :open, paid_on = :paid_on, overdue = :overdue, dunning_level = :level,"
            " last_dunned_on = :dunned, version = :version,"
            " credited_lines = CAST(:credited_lines AS text)::jsonb WHERE invoice_id = :id"
        ),
        {
            "id": invoice.invoice_id,
            "paid": invoice.paid.amount,
            "credited": invoice.credited.amount,
            "credit_applied": invoice.credit_applied.amount,
            "written_off": invoice.written_off.amount,
            "is_written_off": invoice.is_written_off,
            "status": invoice.status,
            "open": invoice.open_amount.amount,
            "paid_on": invoice.paid_on,
            "overdue": invoice.overdue,
            "level": invoice.dunning_level,
            "dunned": invoice.last_dunned_on,
            "version": invoice.version,
            "credited_lines": _credited_lines_json(invoice),
        },
    )


@dataclass(frozen=True)
class CreditNoteRecord:
    credit_note_id: str
    number: str
    invoice_id: str
    customer_id: str
    remedy_id: str | None
    ticket_id: str | None
    net: Money
    vat: Money
    gross: Money
    applied: Money
    unapplied: Money
    reason: str
    issue_date: dt.date
    lines: list[CreditNoteLine] = field(default_factory=list)
    vat_breakdown: list[VatRateAmount] = field(default_factory=list)


@dataclass(frozen=True)
class InvoiceRecord:
    """An invoice as read: its state, its lines and its credit notes."""

    invoice: Invoice
    seq: int
    lines: list[InvoiceLine]
    credit_notes: list[CreditNoteRecord] = field(default_factory=list)


async def read_invoice(conn: AsyncConnection, invoice_id: str) -> InvoiceRecord | None:
    rows = (
        await conn.execute(
            text(f"SELECT {_INVOICE_COLUMNS}, lines::text AS lines FROM invoices WHERE invoice_id = :i"),  # noqa: S608
            {"i": invoice_id},
        )
    ).all()
    records = await _records(conn, rows)
    return records[0] if records else None


async def list_invoices(
    conn: AsyncConnection,
    *,
    customer_ids: Sequence[str] | None,
    status: str | None,
    after_seq: int,
    limit: int,
) -> tuple[list[InvoiceRecord], int | None]:
    """A page of invoices in issue order; returns the page and the seq to continue after."""
    conditions: list[str] = []
    params: dict[str, Any] = {}
    if customer_ids is not None:
        conditions.append("customer_id = ANY(:customers)")
        params["customers"] = list(customer_ids)
    if status is not None:
        conditions.append("status = :status")
        params["status"] = status
    rows, last = await page_after(
        conn,
        f"SELECT {_INVOICE_COLUMNS}, lines::text AS lines FROM invoices",  # noqa: S608
        conditions,
        params,
        after_seq=after_seq,
        limit=limit,
    )
    return await _records(conn, rows), last


async def _records(conn: AsyncConnection, rows: Sequence[Any]) -> list[InvoiceRecord]:
    notes = await credit_notes_of(conn, [row.invoice_id for row in rows])
    return [
        InvoiceRecord(
            invoice=_invoice(row),
            seq=row.seq,
            lines=[InvoiceLine.model_validate(line) for line in json_value(row.lines)],
            credit_notes=notes.get(row.invoice_id, []),
        )
        for row in rows
    ]


# credit notes ---------------------------------------------------------------------------------
async def insert_credit_note(conn: AsyncConnection, issued: CreditNoteIssued) -> None:
    """Read-model row of a credit note (unique per number and per support remedy)."""
    await conn.execute(
        text(
            "INSERT INTO credit_notes (credit_note_id, number, invoice_id, customer_id, remedy_id, ticket_id,"
            " currency, net, vat, gross, applied, unapplied, reason, issue_date, lines, vat_breakdown)"
            " VALUES (:id, :number, :invoice, :customer, :remedy, :ticket, :currency, :net, :vat, :gross,"
            " :applied, :unapplied, :reason, :issue, CAST(:lines AS text)::jsonb,"
            " CAST(:breakdown AS text)::jsonb)"
        ),
        {
            "id": issued.credit_note_id,
            "number": issued.number,
            "invoice": issued.invoice_id,
            "customer": issued.customer_id,
            "remedy": issued.remedy_id,
            "ticket": issued.ticket_id,
            "currency": issued.gross.currency,
            "net": issued.net.amount,
            "vat": issued.vat.amount,
            "gross": issued.gross.amount,
            "applied": issued.applied.amount,
            "unapplied": issued.unapplied.amount,
            "reason": issued.reason,
            "issue": issued.issue_date,
            "lines": json_text([line.model_dump(mode="json") for line in issued.lines]),
            "breakdown": json_text([entry.model_dump(mode="json") for entry in issued.vat_breakdown]),
        },
    )


async def credit_note_of_remedy(conn: AsyncConnection, remedy_id: str) -> str | None:
    """The credit note already issued for a support remedy, if any."""
    found = (
        await conn.execute(
            text("SELECT credit_note_id FROM credit_notes WHERE remedy_id = :r"), {"r": remedy_id}
        )
    ).scalar_one_or_none()
    return None if found is None else str(found)


async def credit_notes_of(
    conn: AsyncConnection, invoice_ids: Sequence[str]
) -> dict[str, list[CreditNoteRecord]]:
    """Credit notes per invoice, in number order."""
    if not invoice_ids:
        return {}
    rows = await conn.execute(
        text(
            "SELECT credit_note_id, number, invoice_id, customer_id, remedy_id, ticket_id, currency,"
            " net, vat, gross, applied, unapplied, reason, issue_date, lines::text AS lines,"
            " vat_breakdown::text AS vat_breakdown FROM credit_notes"
            " WHERE invoice_id = ANY(:ids) ORDER BY number"
        ),
        {"ids": list(invoice_ids)},
    )
    found: dict[str, list[CreditNoteRecord]] = {}
    for row in rows:
        currency = row.currency.strip()
        found.setdefault(row.invoice_id, []).append(
            CreditNoteRecord(
                credit_note_id=row.credit_note_id,
                number=row.number,
                invoice_id=row.invoice_id,
                customer_id=row.customer_id,
                remedy_id=row.remedy_id,
                ticket_id=row.ticket_id,
                net=money(row.net, currency),
                vat=money(row.vat, currency),
                gross=money(row.gross, currency),
                applied=money(row.applied, currency),
                unapplied=money(row.unapplied, currency),
                reason=row.reason,
                issue_date=row.issue_date,
                lines=[CreditNoteLine.model_validate(line) for line in json_value(row.lines)],
                vat_breakdown=[VatRateAmount.model_validate(e) for e in json_value(row.vat_breakdown)],
            )
        )
    return found


async def get_credit_note(conn: AsyncConnection, credit_note_id: str) -> CreditNoteRecord | None:
    invoice_id = (
        await conn.execute(
            text("SELECT invoice_id FROM credit_notes WHERE credit_note_id = :c"), {"c": credit_note_id}
        )
    ).scalar_one_or_none()
    if invoice_id is None:
        return None
    notes = await credit_notes_of(conn, [str(invoice_id)])
    return next(note for note in notes[str(invoice_id)] if note.credit_note_id == credit_note_id)


# payments and refunds -------------------------------------------------------------------------
@dataclass(frozen=True)
class PaymentRecord:
    payment_id: str
    customer_id: str
    amount: Money
    received_on: dt.date
    payer_reference: str | None
    bank_transaction_id: str


async def insert_payment(conn: AsyncConnection, posted: PaymentPosted) -> None:
    """Read-model row of a posted payment (its bank transaction id is unique)."""
    await conn.execute(
        text(
            "INSERT INTO payments (payment_id, customer_id, amount, currency, received_on, payer_reference,"
            " bank_transaction_id) VALUES (:id, :customer, :amount, :currency, :received, :reference, :bank)"
        ),
        {
            "id": posted.payment_id,
            "customer": posted.customer_id,
            "amount": posted.amount.amount,
            "currency": posted.amount.currency,
            "received": posted.received_on,
            "reference": posted.payer_reference,
            "bank": posted.bank_transaction_id,
        },
    )


async def get_payment(conn: AsyncConnection, payment_id: str) -> PaymentRecord | None:
    row = (
        await conn.execute(
            text(
                "SELECT payment_id, customer_id, amount, currency, received_on, payer_reference,"
                " bank_transaction_id FROM payments WHERE payment_id = :p"
            ),
            {"p": payment_id},
        )
    ).one_or_none()
    if row is None:
        return None
    return PaymentRecord(
        payment_id=row.payment_id,
        customer_id=row.customer_id,
        amount=money(row.amount, row.currency),
        received_on=row.received_on,
        payer_reference=row.payer_reference,
        bank_transaction_id=row.bank_transaction_id,
    )


async def bank_transaction_posted(conn: AsyncConnection, bank_transaction_id: str) -> bool:
    found = (
        await conn.execute(
            text("SELECT 1 FROM payments WHERE bank_transaction_id = :b"), {"b": bank_transaction_id}
        )
    ).scalar_one_or_none()
    return found is not None


async def insert_refund(conn: AsyncConnection, refund: RefundIssued) -> None:
    await conn.execute(
        text(
            "INSERT INTO refunds (refund_id, customer_id, amount, currency, refunded_on, reason)"
            " VALUES (:id, :customer, :amount, :currency, :on, :reason)"
        ),
        {
            "id": refund.refund_id,
            "customer": refund.customer_id,
            "amount": refund.amount.amount,
            "currency": refund.amount.currency,
            "on": refund.refunded_on,
            "reason": refund.reason,
        },
    )


# a customer's billing events ------------------------------------------------------------------
_EVENTS = (
    "SELECT type, data::text AS data FROM events"
    " WHERE data ->> 'customer_id' = :c AND topic = :topic ORDER BY position"
)
_EVENTS_OF_TYPES = (
    "SELECT type, data::text AS data FROM events"
    " WHERE data ->> 'customer_id' = :c AND topic = :topic AND type = ANY(:types) ORDER BY position"
)


async def customer_events(
    conn: AsyncConnection,
    catalog: Catalog,
    customer_id: str,
    types: Sequence[type[EventModel]] = (),
) -> list[EventModel]:
    """The customer's receivables events in recorded order (only ``types`` when given)."""
    params: dict[str, Any] = {"c": customer_id, "topic": BILLING}
    if types:
        params["types"] = [t.cloud_type() for t in types]
    rows = await conn.execute(text(_EVENTS_OF_TYPES if types else _EVENTS), params)
    return [catalog.decode(row.type, json_value(row.data)) for row in rows]
