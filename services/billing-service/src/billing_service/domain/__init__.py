"""Pure domain of the billing service: aggregates, rules, no I/O.

Receivables: ``accounts`` (billing accounts), ``invoices`` (invoice per shipment, invoice state),
``payments`` (posting and allocation), ``cash`` (unapplied cash, manual allocation),
``credit`` (credit notes, write-offs, refunds), ``collections`` (dunning), ``statement``.
Payables: ``payables`` (suppliers, bills, approval, payment runs).
"""

from .accounts import (
    DEFAULT_PAYMENT_TERMS_DAYS,
    BillingAccount,
    account_for_first_shipment,
    open_billing_account,
)
from .amounts import check_amount, round_half_up
from .cash import CashSource, UnappliedCash
from .collections import DEFAULT_DUNNING_LEVELS, DunningLevel, DunningPolicy, collections_due
from .credit import issue_credit_note, issue_refund, write_off
from .invoices import (
    CREDIT_NOTE_SERIES,
    INVOICE_SERIES,
    Invoice,
    InvoiceStatus,
    OpenInvoice,
    format_invoice_number,
    invoice_for_shipment,
    invoice_line,
)
from .payables import (
    BillLineInput,
    BillStatus,
    DuplicateSupplierInvoiceNumber,
    Supplier,
    SupplierBill,
    check_supplier_invoice_number_unused,
    payment_run,
    register_supplier,
    select_bills_for_payment_run,
    supplier_invoice_key,
)
from .payments import (
    Payment,
    allocate_payment,
    apply_unapplied_cash,
    invoices_named_in,
    invoices_settled,
    oldest_due_first,
    post_payment,
)
from .statement import (
    CustomerStatement,
    StatementCredit,
    StatementOpenItem,
    StatementPayment,
    StatementRefund,
    customer_statement,
)

__all__ = [
    "CREDIT_NOTE_SERIES",
    "DEFAULT_DUNNING_LEVELS",
    "DEFAULT_PAYMENT_TERMS_DAYS",
    "INVOICE_SERIES",
    "BillLineInput",
    "BillStatus",
    "BillingAccount",
    "CashSource",
    "CustomerStatement",
    "DuplicateSupplierInvoiceNumber",
    "DunningLevel",
    "DunningPolicy",
    "Invoice",
    "InvoiceStatus",
    "OpenInvoice",
    "Payment",
    "StatementCredit",
    "StatementOpenItem",
    "StatementPayment",
    "StatementRefund",
    "Supplier",
    "SupplierBill",
    "UnappliedCash",
    "account_for_first_shipment",
    "allocate_payment",
    "apply_unapplied_cash",
    "check_amount",
    "check_supplier_invoice_number_unused",
    "collections_due",
    "customer_statement",
    "format_invoice_number",
    "invoice_for_shipment",
    "invoice_line",
    "invoices_named_in",
    "invoices_settled",
    "issue_credit_note",
    "issue_refund",
    "oldest_due_first",
    "open_billing_account",
    "payment_run",
    "post_payment",
    "register_supplier",
    "round_half_up",
    "select_bills_for_payment_run",
    "supplier_invoice_key",
    "write_off",
]
