import datetime as dt
from typing import Any

import pytest

from backoffice_events.catalog.orders import OrderShipped, ShippedLine
from backoffice_events.money import Money
from backoffice_platform.errors import InvalidInput
from billing_service.domain.accounts import (
    DEFAULT_PAYMENT_TERMS_DAYS,
    BillingAccount,
    account_for_first_shipment,
    open_billing_account,
)


def test_opened_account_keeps_its_terms_and_computes_due_dates() -> None:
    event = open_billing_account(
        "C1",
        "EUR",
        payment_terms_days=14,
        credit_limit=Money.of("5000", "EUR"),
        dunning_contact=" ap@c1.example ",
    )
    account = BillingAccount.rebuild([event])
    assert account.version == 1
    assert account.payment_terms_days == 14
    assert account.credit_limit == Money.of("5000", "EUR")
    assert account.dunning_contact == "ap@c1.example"
    assert account.due_date(dt.date(2026, 1, 25)) == dt.date(2026, 2, 8)


def test_first_shipment_opens_a_net_30_account_in_the_order_currency() -> None:
    shipped = OrderShipped(
        order_id="O1",
        shipment_id="S1",
        customer_id="C9",
        currency="GBP",
        lines=[ShippedLine(line_no=1, sku="A", quantity=1, unit_price=Money.of("1", "GBP"), vat_rate="0.2")],
        carrier="dhl",
        shipped_at=dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC),
    )
    opened = account_for_first_shipment(shipped)
    assert (opened.customer_id, opened.currency, opened.payment_terms_days) == ("C9", "GBP", 30)
    assert DEFAULT_PAYMENT_TERMS_DAYS == 30
    assert opened.credit_limit is None


@pytest.mark.parametrize(
    ("kwargs", "rule", "field"),
    [
        ({"customer_id": " "}, "customer-required", "customer_id"),
        ({"currency": "XXX"}, "unknown-currency", "currency"),
        ({"payment_terms_days": -1}, "terms-out-of-range", "payment_terms_days"),
        ({"payment_terms_days": 366}, "terms-out-of-range", "payment_terms_days"),
        ({"credit_limit": Money.of("10", "USD")}, "currency-mismatch", "credit_limit.currency"),
        (
            {"credit_limit": Money(Money.of("1", "EUR").amount / 1000, "EUR")},
            "too-many-decimals",
            "credit_limit.amount",
        ),
        ({"credit_limit": Money.of("-1", "EUR")}, "amount-negative", "credit_limit.amount"),
    ],
)
def test_account_rules(kwargs: dict[str, Any], rule: str, field: str) -> None:
    args = {"customer_id": "C1", "currency": "EUR", **kwargs}
    with pytest.raises(InvalidInput) as caught:
        open_billing_account(**args)
    assert caught.value.rule == rule
    assert caught.value.field == field


def test_account_stream_has_exactly_one_opening() -> None:
    event = open_billing_account("C1", "EUR")
    with pytest.raises(ValueError):
        BillingAccount.rebuild([])
    with pytest.raises(ValueError):
        BillingAccount.rebuild([event, event])
