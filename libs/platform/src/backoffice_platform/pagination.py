"""Opaque cursors for keyset pagination."""

from __future__ import annotations

import base64
from typing import Any

import orjson

from .errors import InvalidInput


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(position, default=str)).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """Decode a cursor from a previous page; a tampered one is a 422 naming ``cursor``."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (ValueError, orjson.JSONDecodeError):
        raise InvalidInput(
            "cursor is not one this API issued", field="cursor", rule="cursor-invalid"
        ) from None
    if not isinstance(value, dict):
        raise InvalidInput("cursor is not one this API issued", field="cursor", rule="cursor-invalid")
    return value
