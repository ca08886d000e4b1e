"""Errors that become RFC 9457 problem responses.

Plain Python on purpose: domain code raises these without importing any framework.
Each kind has a stable ``type`` URI suffix; ``field`` names the input at fault and
``rule`` the rule it broke, so a client can react without parsing prose.
"""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://backoffice.dev/problems/"


class DomainError(Exception):
    """A request that breaks a business rule. Nothing was written."""

    status: int = 422
    kind: str = "business-rule"
    title: str = "Business rule violated"

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        rule: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.rule = rule
        self.extra = extra or {}

    @property
    def type_uri(self) -> str:
        return PROBLEM_BASE + (self.rule or self.kind)


class InvalidInput(DomainError):
    """Input that is malformed or outside the allowed values."""

    status = 422
    kind = "invalid-input"
    title = "Invalid input"


class NotFound(DomainError):
    status = 404
    kind = "not-found"
    title = "Not found"


class Conflict(DomainError):
    """The request conflicts with the current state (duplicates, stale versions)."""

    status = 409
    kind = "conflict"
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    kind = "forbidden"
    title = "Forbidden"
