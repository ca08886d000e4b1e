"""What billing's routers share: amounts as entered, roles, Idempotency-Key and cursors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel, PlainValidator, WithJsonSchema

from backoffice_events.money import Money, check_currency, parse_amount
from backoffice_platform.app import require
from backoffice_platform.auth import Principal, Role
from backoffice_platform.errors import InvalidInput
from backoffice_platform.http import INPUT_MONEY_JSON_SCHEMA, check_storable
from backoffice_platform.idempotency import IdempotentReplay
from backoffice_platform.pagination import decode_cursor, encode_cursor

from ..service_layer.idempotency import Idempotency

T = TypeVar("T")
V = TypeVar("V", bound=BaseModel)


def _entered_money(value: Any) -> Money:
    """Money as a client sent it: a decimal string and a known currency, any number of decimals.

    The scale is checked by the domain (``check_amount``), so that too many decimals is refused
    with the rule ``too-many-decimals`` like every other amount rule, not as a parse error.
    """
    if isinstance(value, Money):
        return value
    if not isinstance(value, dict) or set(value) - {"amount", "currency"}:
        raise ValueError('money must be an object {"amount": "12.50", "currency": "EUR"}')
    if "amount" not in value or "currency" not in value:
        raise ValueError("money needs both amount and currency")
    return check_storable(Money(parse_amount(value["amount"]), check_currency(str(value["currency"]))))


EnteredMoney = Annotated[Money, PlainValidator(_entered_money), WithJsonSchema(INPUT_MONEY_JSON_SCHEMA)]
"""An amount in a request body, at most ``AMOUNT_DIGITS`` integer digits (problem rule
``amount-too-large``); scale and sign are checked by the business rules."""

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="retrying with the same key returns the first answer and records nothing twice",
    ),
]
IfMatch = Annotated[str | None, Header(alias="If-Match")]

BillingClerk = Annotated[Principal, Depends(require(Role.BILLING_CLERK))]
ReceivablesReader = Annotated[Principal, Depends(require(Role.BILLING_CLERK, read=True))]
CustomerReader = Annotated[Principal, Depends(require(Role.BILLING_CLERK, Role.PARTNER, read=True))]
PayablesClerk = Annotated[Principal, Depends(require(Role.PAYABLES_CLERK))]
Approver = Annotated[Principal, Depends(require(Role.APPROVER))]
PayablesReader = Annotated[Principal, Depends(require(Role.PAYABLES_CLERK, Role.APPROVER, read=True))]


def keyed(
    principal: Principal,
    operation: str,
    key: str | None,
    body: BaseModel | dict[str, Any],
    view: Callable[[T], BaseModel],
    status: int = 201,
) -> Idempotency[T] | None:
    """The Idempotency-Key of a request, scoped to the caller and the operation."""
    if key is None:
        return None
    request = body.model_dump(mode="json") if isinstance(body, BaseModel) else body
    return Idempotency(
        scope=f"{principal.name}:{operation}",
        key=key,
        request=request,
        render=lambda result: view(result).model_dump(mode="json"),
        status=status,
    )


def answer(outcome: T | IdempotentReplay, view: Callable[[T], V]) -> V | JSONResponse:
    """The view of a use case's result, or the first answer to a retried request."""
    if isinstance(outcome, IdempotentReplay):
        return JSONResponse(outcome.body, status_code=outcome.status)
    return view(outcome)


def after_seq(cursor: str | None) -> int:
    """The position a cursor from a previous page continues after (0 for the first page)."""
    position = decode_cursor(cursor)
    if position is None:
        return 0
    after = position.get("after")
    if not isinstance(after, int) or after < 0:
        raise InvalidInput("cursor is not one this API issued", field="cursor", rule="cursor-invalid")
    return after


def next_cursor(seq: int | None) -> str | None:
    return None if seq is None else encode_cursor({"after": seq})
