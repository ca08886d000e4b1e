"""Request field types and the response helpers the routers share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from backoffice_platform.errors import InvalidInput
from backoffice_platform.http import etag
from backoffice_platform.pagination import decode_cursor
from backoffice_platform.problems import PROBLEM_JSON

from ..service_layer.answers import Answer

IDEMPOTENCY_KEY_DOC = "Retries with the same key and body return the first answer and record nothing twice."


MAX_LINES = 500
"""Most lines an order may have (so line numbers run 1..500)."""

MAX_UNITS = 1_000_000
"""Most units one line, receipt or adjustment may name: far beyond any real delivery, and small
enough that stock levels stay inside the read models' integer columns."""


def _whole_units(value: object) -> object:
    # Units are counted: 1.5 or "2" is refused rather than rounded or coerced.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "quantity-not-integer", "must be a whole number of units, got {value}", {"value": repr(value)}
        )
    if value <= 0:
        raise PydanticCustomError("quantity-not-positive", "must be positive, got {value}", {"value": value})
    if value > MAX_UNITS:
        raise PydanticCustomError(
            "quantity-too-large", "must be at most {limit}, got {value}", {"value": value, "limit": MAX_UNITS}
        )
    return value


def _whole_delta(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "quantity-not-integer", "must be a whole number of units, got {value}", {"value": repr(value)}
        )
    if abs(value) > MAX_UNITS:
        raise PydanticCustomError(
            "quantity-too-large",
            "must be between -{limit} and {limit}, got {value}",
            {"value": value, "limit": MAX_UNITS},
        )
    return value


Quantity = Annotated[int, Field(ge=1, le=MAX_UNITS), BeforeValidator(_whole_units)]
"""A positive whole number of units, at most ``MAX_UNITS`` (problem rules ``quantity-not-integer``,
``quantity-not-positive``, ``quantity-too-large``)."""

Delta = Annotated[int, Field(ge=-MAX_UNITS, le=MAX_UNITS), BeforeValidator(_whole_delta)]
"""A whole number of units, either sign, at most ``MAX_UNITS`` either way."""


def respond(answer: Answer) -> JSONResponse:
    """The HTTP response of a command's answer (a problem document when it is an error)."""
    response = JSONResponse(
        answer.body,
        status_code=answer.status,
        media_type=PROBLEM_JSON if answer.status >= 400 else None,
    )
    if answer.version is not None:
        response.headers["ETag"] = etag(answer.version)
    return response


def cursor_position(cursor: str | None, *keys: str) -> dict[str, Any] | None:
    """The keyset position a cursor names, checked to hold ``keys``."""
    position = decode_cursor(cursor)
    if position is not None and not all(isinstance(position.get(k), str) for k in keys):
        raise InvalidInput("cursor is not one this API issued", field="cursor", rule="cursor-invalid")
    return position
