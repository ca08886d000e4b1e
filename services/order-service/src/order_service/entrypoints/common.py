"""Request field types and the response helpers the routers share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from backoffice_platform.errors import InvalidInput
from backoffice_platform.http import etag
from backoffice_platform.pagination import decode_cursor
from backoffice_platform.problems import PROBLEM_JSON

from ..service_layer.answers import Answer

IDEMPOTENCY_KEY_DOC = "Retries with the same key and body return the first answer and record nothing twice."


def _whole_units(value: object) -> object:
    # Units are counted: 1.5 or "2" is refused rather than rounded or coerced.
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "quantity-not-integer", "must be a whole number of units, got {value!r}", {"value": value}
        )
    if value <= 0:
        raise PydanticCustomError("quantity-not-positive", "must be positive, got {value}", {"value": value})
    return value


def _whole_delta(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError(
            "quantity-not-integer", "must be a whole number of units, got {value!r}", {"value": value}
        )
    return value


Quantity = Annotated[int, BeforeValidator(_whole_units)]
"""A positive whole number of units (problem rules ``quantity-not-integer``/``quantity-not-positive``)."""

Delta = Annotated[int, BeforeValidator(_whole_delta)]
"""A whole number of units, either sign."""


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
