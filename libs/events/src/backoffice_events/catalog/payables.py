"""Events of the payables side of billing (topic ``backoffice.payables``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from ..money import Money
from .base import EventModel, register
from .orders import Part
from .topics import PAYABLES


class BillLine(Part):
    line_no: int
    description: str
    expense_account: str
    net: Money
    vat_rate: Decimal
    vat: Money
    gross: Money


class _Bill(EventModel):
    topic: ClassVar[str] = PAYABLES
    aggregate: ClassVar[str] = "supplier_bill"
    bill_id: str
    supplier_id: str


@register
class SupplierRegistered(EventModel):
    topic: ClassVar[str] = PAYABLES
    aggregate: ClassVar[str] = "supplier"
    event_type: ClassVar[str] = "backoffice.payables.supplier_registered"
    supplier_id: str
    name: str
    currency: str
    payment_terms_days: int


@register
class SupplierBillReceived(_Bill):
    event_type: ClassVar[str] = "backoffice.payables.bill_received"
    supplier_invoice_number: str
    bill_date: dt.date
    due_date: dt.date
    currency: str
    lines: list[BillLine]
    net: Money
    vat: Money
    gross: Money
    entered_by: str


@register
class SupplierBillApproved(_Bill):
    event_type: ClassVar[str] = "backoffice.payables.bill_approved"
    approved_by: str
    approved_on: dt.date
    due_date: dt.date
    lines: list[BillLine]
    net: Money
    vat: Money
    gross: Money


@register
class SupplierBillRejected(_Bill):
    event_type: ClassVar[str] = "backoffice.payables.bill_rejected"
    rejected_by: str
    reason: str


@register
class SupplierPaymentMade(_Bill):
    event_type: ClassVar[str] = "backoffice.payables.payment_made"
    payment_id: str
    payment_run_id: str | None = None
    amount: Money
    paid_on: dt.date
