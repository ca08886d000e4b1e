"""A customer's billing account as the use cases need it: there, or ``NotFound``."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_platform.errors import NotFound

from ..adapters.receivables import AccountRecord, get_account


def no_billing_account(customer_id: str, field: str = "customer_id") -> NotFound:
    """The answer for a customer without a billing account (rule ``billing-account-not-found``)."""
    return NotFound(
        f"customer {customer_id} has no billing account", field=field, rule="billing-account-not-found"
    )


async def require_account(
    conn: AsyncConnection, customer_id: str, *, for_update: bool = False, field: str = "customer_id"
) -> AccountRecord:
    """The customer's account or ``NotFound``; ``for_update`` locks it (serialises the customer's cash)."""
    account = await get_account(conn, customer_id, for_update=for_update)
    if account is None:
        raise no_billing_account(customer_id, field)
    return account
