"""The one error the ledger's domain raises."""

from __future__ import annotations

from typing import Any

from backoffice_platform.errors import DomainError


class PostingError(DomainError, ValueError):
    """An event or entry the books cannot take: unbalanced, inconsistent numbers, an
    unknown currency or account. The Kafka adapter dead-letters the event with ``str(exc)``
    as the reason; ``rule`` is a stable kebab-case code and ``field`` the event field at fault.

    It is a ``ValueError`` (bad data, not a bug) and a ``DomainError`` (so an HTTP path that
    meets it answers 422 with the same rule).
    """

    def __init__(
        self,
        detail: str,
        *,
        rule: str,
        field: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail, field=field, rule=rule, extra=extra)
