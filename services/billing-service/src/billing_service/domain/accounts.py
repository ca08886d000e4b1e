"""Billing accounts: who is invoiced, in which currency, on which payment terms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from backoffice_events.catalog.billing import BillingAccountOpened, CashApplicationChanged
from backoffice_events.catalog.orders import OrderShipped
from backoffice_events.money import MINOR_UNITS, Money, MoneyError
from backoffice_platform.errors import InvalidInput

DEFAULT_PAYMENT_TERMS_DAYS = 30
"""Terms given to an account opened automatically on a customer's first shipment."""

MAX_PAYMENT_TERMS_DAYS = 365


def open_billing_account(
    customer_id: str,
    currency: str,
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS,
    credit_limit: Money | None = None,
    dunning_contact: str | None = None,
    auto_apply_cash: bool = True,
) -> BillingAccountOpened:
    """Validate and open a billing account. ``auto_apply_cash``: whether the customer's unapplied
    cash is applied to each new invoice automatically (the default).

    Rules: ``customer-required``, ``unknown-currency``, ``terms-out-of-range`` (0..365 days),
    and for the credit limit ``currency-mismatch``, ``too-many-decimals``, ``amount-negative``.
    Whether the customer already has an account is for the adapter (``Conflict``).
    """
    if not customer_id.strip():
        raise InvalidInput("customer_id is required", field="customer_id", rule="customer-required")
    if currency not in MINOR_UNITS:
        raise InvalidInput(f"unknown currency {currency!r}", field="currency", rule="unknown-currency")
    if not 0 <= payment_terms_days <= MAX_PAYMENT_TERMS_DAYS:
        raise InvalidInput(
            f"payment terms must be 0..{MAX_PAYMENT_TERMS_DAYS} days",
            field="payment_terms_days",
            rule="terms-out-of-range",
        )
    if credit_limit is not None:
        _check_credit_limit(credit_limit, currency)
    contact = dunning_contact.strip() if dunning_contact and dunning_contact.strip() else None
    return BillingAccountOpened(
        customer_id=customer_id,
        currency=currency,
        payment_terms_days=payment_terms_days,
        credit_limit=credit_limit,
        dunning_contact=contact,
        auto_apply_cash=auto_apply_cash,
    )


def account_for_first_shipment(shipped: OrderShipped) -> BillingAccountOpened:
    """The account opened automatically when a customer without one is first shipped to:
    net 30, in the order's currency, no credit limit, no dunning contact."""
    return open_billing_account(shipped.customer_id, shipped.currency)


def _check_credit_limit(limit: Money, currency: str) -> None:
    if limit.currency != currency:
        raise InvalidInput(
            f"credit limit is in {limit.currency}, account in {currency}",
            field="credit_limit.currency",
            rule="currency-mismatch",
        )
    try:
        limit.check_scale()
    except MoneyError as exc:
        raise InvalidInput(str(exc), field="credit_limit.amount", rule="too-many-decimals") from None
    if limit.amount < 0:
        raise InvalidInput(
            "credit limit must not be negative", field="credit_limit.amount", rule="amount-negative"
        )


@dataclass
class BillingAccount:
    """A customer's billing account, rebuilt from its stream: the opening, then changes of how
    its unapplied cash is applied."""

    customer_id: str
    currency: str
    payment_terms_days: int
    credit_limit: Money | None = None
    dunning_contact: str | None = None
    auto_apply_cash: bool = True
    version: int = 1

    @classmethod
    def opened(cls, event: BillingAccountOpened) -> BillingAccount:
        """State right after the account was opened (stream version 1)."""
        return cls(
            customer_id=event.customer_id,
            currency=event.currency,
            payment_terms_days=event.payment_terms_days,
            credit_limit=event.credit_limit,
            dunning_contact=event.dunning_contact,
            auto_apply_cash=event.auto_apply_cash,
        )

    @classmethod
    def rebuild(cls, events: Iterable[BillingAccountOpened | CashApplicationChanged]) -> BillingAccount:
        """Fold the account's stream; it must start with ``BillingAccountOpened``."""
        stream = iter(events)
        first = next(stream, None)
        if not isinstance(first, BillingAccountOpened):
            raise ValueError("a billing account stream starts with BillingAccountOpened")
        account = cls.opened(first)
        for event in stream:
            account.apply(event)
        return account

    def apply(self, event: BillingAccountOpened | CashApplicationChanged) -> None:
        """Fold a later event of the account's stream."""
        if not isinstance(event, CashApplicationChanged) or event.customer_id != self.customer_id:
            raise ValueError(
                f"{type(event).__name__} cannot follow the opening of account {self.customer_id}"
            )
        self.auto_apply_cash = event.auto_apply_cash
        self.version += 1

    def set_cash_application(self, auto_apply_cash: bool) -> list[CashApplicationChanged]:
        """Switch automatic application of unapplied cash to new invoices on or off; nothing
        when it is set so already (setting it twice records one change)."""
        if auto_apply_cash == self.auto_apply_cash:
            return []
        return [CashApplicationChanged(customer_id=self.customer_id, auto_apply_cash=auto_apply_cash)]

    def due_date(self, issue_date: dt.date) -> dt.date:
        """Due date of an invoice issued on ``issue_date`` under this account's terms."""
        return issue_date + dt.timedelta(days=self.payment_terms_days)
