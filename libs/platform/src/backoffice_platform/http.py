"""Small HTTP conventions: ETags for optimistic concurrency."""

from __future__ import annotations

from .errors import InvalidInput


def etag(version: int) -> str:
    return f'W/"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """The aggregate version an ``If-Match`` header names (None when absent)."""
    if value is None:
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not raw.isdigit():
        raise InvalidInput(
            "If-Match must be an ETag this API issued", field="If-Match", rule="if-match-invalid"
        )
    return int(raw)
