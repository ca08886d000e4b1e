"""Builders for the billing and payables events the ledger posts (valid by default)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from backoffice_events.catalog.billing import (
    Allocation,
    CreditNoteIssued,
    CreditNoteLine,
    InvoiceIssued,
    InvoiceLine,
    InvoiceWrittenOff,
    PaymentAllocated,
    PaymentPosted,
    PaymentUnallocated,
    RefundIssued,
    VatRateAmount,
)
from backoffice_events.catalog.payables import BillLine, SupplierBillApproved, SupplierPaymentMade
from backoffice_events.money import Money

D = dt.date


def money(amount: str, currency: str = "EUR") -> Money:
    return Money.of(amount, currency)


def rate_of(net: Money, vat: Money) -> Decimal:
    """The VAT rate of a one-line credit note in tests (0 when nothing is taxable)."""
    return (vat.amount / net.amount).quantize(Decimal("0.0001")) if net.amount else Decimal(0)


def one_credited_line(net: Money, vat: Money) -> CreditNoteLine:
    """A credit note's single credited line, at the rate of its amounts."""
    return CreditNoteLine(
        line_no=1, sku="SKU-1", vat_rate=rate_of(net, vat), net=net, vat=vat, gross=net + vat
    )


class Events:
    """Factory for catalog events with sensible defaults; every amount is a decimal string."""

    def invoice_issued(
        self,
        invoice_id: str = "inv-1",
        customer_id: str = "cust-1",
        *,
        net: str = "100.00",
        vat: str = "21.00",
        gross: str | None = None,
        currency: str = "EUR",
        issue_date: dt.date = D(2026, 1, 10),
        due_date: dt.date = D(2026, 2, 9),
        lines: list[InvoiceLine] | None = None,
    ) -> InvoiceIssued:
        gross = gross if gross is not None else str(Decimal(net) + Decimal(vat))
        if lines is None:
            lines = [
                InvoiceLine(
                    line_no=1,
                    sku="SKU-1",
                    quantity=1,
                    unit_price=money(net, currency),
                    vat_rate=Decimal("0.21"),
                    net=money(net, currency),
                    vat=money(vat, currency),
                    gross=money(gross, currency),
                )
            ]
        return InvoiceIssued(
            invoice_id=invoice_id,
            customer_id=customer_id,
            number=f"INV-2026-{invoice_id}",
            order_id="ord-1",
            shipment_id="shp-1",
            issue_date=issue_date,
            due_date=due_date,
            currency=currency,
            lines=lines,
            net=money(net, currency),
            vat=money(vat, currency),
            gross=money(gross, currency),
        )

    def payment_posted(
        self,
        amount: str,
        allocations: list[tuple[str, str]],
        unapplied: str = "0.00",
        *,
        payment_id: str = "pay-1",
        customer_id: str = "cust-1",
        currency: str = "EUR",
        received_on: dt.date = D(2026, 1, 20),
    ) -> PaymentPosted:
        return PaymentPosted(
            payment_id=payment_id,
            customer_id=customer_id,
            amount=money(amount, currency),
            received_on=received_on,
            bank_transaction_id="bt-1",
            allocations=[Allocation(invoice_id=i, amount=money(a, currency)) for i, a in allocations],
            unapplied=money(unapplied, currency),
        )

    def payment_allocated(
        self, amount: str, invoice_id: str = "inv-1", customer_id: str = "cust-1", currency: str = "EUR"
    ) -> PaymentAllocated:
        return PaymentAllocated(
            payment_id="pay-1",
            customer_id=customer_id,
            invoice_id=invoice_id,
            amount=money(amount, currency),
        )

    def payment_unallocated(
        self, amount: str, invoice_id: str = "inv-1", customer_id: str = "cust-1"
    ) -> PaymentUnallocated:
        return PaymentUnallocated(
            payment_id="pay-1",
            customer_id=customer_id,
            invoice_id=invoice_id,
            amount=money(amount),
            reason="wrong invoice",
        )

    def credit_note_issued(
        self,
        *,
        net: str,
        vat: str,
        applied: str,
        unapplied: str = "0.00",
        gross: str | None = None,
        invoice_id: str = "inv-1",
        customer_id: str = "cust-1",
        issue_date: dt.date = D(2026, 1, 25),
    ) -> CreditNoteIssued:
        gross = gross if gross is not None else str(Decimal(net) + Decimal(vat))
        return CreditNoteIssued(
            invoice_id=invoice_id,
            customer_id=customer_id,
            credit_note_id="cn-1",
            number="CN-2026-000001",
            lines=[one_credited_line(money(net), money(vat))],
            vat_breakdown=[
                VatRateAmount(vat_rate=rate_of(money(net), money(vat)), taxable=money(net), vat=money(vat))
            ],
            net=money(net),
            vat=money(vat),
            gross=money(gross),
            applied=money(applied),
            unapplied=money(unapplied),
            reason="damaged",
            issue_date=issue_date,
        )

    def invoice_written_off(
        self, amount: str, invoice_id: str = "inv-1", written_off_on: dt.date = D(2026, 6, 30)
    ) -> InvoiceWrittenOff:
        return InvoiceWrittenOff(
            invoice_id=invoice_id,
            customer_id="cust-1",
            amount=money(amount),
            reason="customer insolvent",
            written_off_on=written_off_on,
        )

    def refund_issued(self, amount: str, customer_id: str = "cust-1") -> RefundIssued:
        return RefundIssued(
            refund_id="ref-1", customer_id=customer_id, amount=money(amount), refunded_on=D(2026, 2, 1)
        )

    def bill_line(self, line_no: int, account: str, net: str, vat: str, currency: str = "EUR") -> BillLine:
        return BillLine(
            line_no=line_no,
            description=f"line {line_no}",
            expense_account=account,
            net=money(net, currency),
            vat_rate=Decimal("0.21"),
            vat=money(vat, currency),
            gross=money(str(Decimal(net) + Decimal(vat)), currency),
        )

    def supplier_bill_approved(
        self,
        lines: list[BillLine],
        *,
        bill_id: str = "bill-1",
        supplier_id: str = "sup-1",
        net: str | None = None,
        vat: str | None = None,
        gross: str | None = None,
        currency: str = "EUR",
        approved_on: dt.date = D(2026, 1, 15),
        due_date: dt.date = D(2026, 2, 14),
    ) -> SupplierBillApproved:
        line_net = sum((line.net.amount for line in lines), Decimal(0))
        line_vat = sum((line.vat.amount for line in lines), Decimal(0))
        net = net if net is not None else str(line_net)
        vat = vat if vat is not None else str(line_vat)
        gross = gross if gross is not None else str(Decimal(net) + Decimal(vat))
        return SupplierBillApproved(
            bill_id=bill_id,
            supplier_id=supplier_id,
            approved_by="approver-1",
            approved_on=approved_on,
            due_date=due_date,
            lines=lines,
            net=money(net, currency),
            vat=money(vat, currency),
            gross=money(gross, currency),
        )

    def supplier_payment_made(
        self,
        amount: str,
        bill_id: str = "bill-1",
        supplier_id: str = "sup-1",
        paid_on: dt.date = D(2026, 2, 10),
    ) -> SupplierPaymentMade:
        return SupplierPaymentMade(
            bill_id=bill_id,
            supplier_id=supplier_id,
            payment_id="spay-1",
            amount=money(amount),
            paid_on=paid_on,
        )


@pytest.fixture
def events() -> Events:
    return Events()
