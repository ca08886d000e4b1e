"""The one error the receivables rules raise."""

from __future__ import annotations


class ReceivablesError(ValueError):
    """A money event or a credit request that breaks a receivables rule. ``rule`` is a stable
    kebab-case code and ``field`` the part at fault; each service maps it to its own error
    (billing: a 4xx problem, ledger: ``PostingError``, support: a dead letter)."""

    def __init__(self, detail: str, *, rule: str, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.rule = rule
        self.field = field
