"""Collections (dunning): chasing invoices that are past their due date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from backoffice_events.catalog.billing import DunningNoticeIssued, InvoiceOverdue
from backoffice_platform.errors import InvalidInput

from .invoices import Invoice


@dataclass(frozen=True)
class DunningLevel:
    """A step of the dunning ladder, reached ``days_overdue`` days after the due date."""

    level: int
    name: str
    days_overdue: int


DEFAULT_DUNNING_LEVELS: tuple[DunningLevel, ...] = (
    DunningLevel(1, "reminder", 7),
    DunningLevel(2, "second_reminder", 21),
    DunningLevel(3, "final_notice", 35),
)


@dataclass(frozen=True)
class DunningPolicy:
    """The dunning ladder. Levels are numbered 1..n with strictly increasing days overdue."""

    levels: tuple[DunningLevel, ...] = DEFAULT_DUNNING_LEVELS

    def __post_init__(self) -> None:
        if not self.levels:
            raise InvalidInput(
                "a dunning policy needs at least one level", field="levels", rule="dunning-levels-invalid"
            )
        for index, level in enumerate(self.levels):
            if level.level != index + 1:
                raise InvalidInput(
                    "dunning levels must be numbered 1, 2, 3, ... in order",
                    field=f"levels[{index}].level",
                    rule="dunning-levels-invalid",
                )
            if not level.name.strip():
                raise InvalidInput(
                    "a dunning level needs a name",
                    field=f"levels[{index}].name",
                    rule="dunning-levels-invalid",
                )
            floor = self.levels[index - 1].days_overdue if index else 0
            if level.days_overdue <= floor:
                raise InvalidInput(
                    "days overdue must be positive and increase from level to level",
                    field=f"levels[{index}].days_overdue",
                    rule="dunning-levels-invalid",
                )

    def level_reached(self, days_overdue: int) -> DunningLevel | None:
        """The highest level whose threshold ``days_overdue`` has reached, if any."""
        reached = [level for level in self.levels if days_overdue >= level.days_overdue]
        return reached[-1] if reached else None


def collections_due(
    invoice: Invoice, as_of: dt.date, policy: DunningPolicy | None = None, contact: str | None = None
) -> list[InvoiceOverdue | DunningNoticeIssued]:
    """What the collections run owes this invoice at ``as_of``.

    * ``InvoiceOverdue`` once, the first time the invoice is open and ``as_of`` is after its due date.
    * ``DunningNoticeIssued`` for the highest level newly reached (``days overdue >= level days``).
      If the job missed days and several levels were crossed since the last notice, only the
      highest is sent: a customer should get the notice that fits today, not a burst of stale
      reminders. A level already sent is never sent again.

    Paid and written-off invoices produce nothing: they have left collections. Running it twice
    for the same ``as_of`` after applying the first result produces nothing the second time.
    ``contact`` is the billing account's dunning contact, copied onto the notice.
    """
    policy = policy or DunningPolicy()
    if not invoice.is_overdue(as_of):
        return []
    days = invoice.days_overdue(as_of)
    open_amount = invoice.open_amount
    events: list[InvoiceOverdue | DunningNoticeIssued] = []
    if not invoice.overdue:
        events.append(
            InvoiceOverdue(
                invoice_id=invoice.invoice_id,
                customer_id=invoice.customer_id,
                due_date=invoice.due_date,
                as_of=as_of,
                open_amount=open_amount,
            )
        )
    level = policy.level_reached(days)
    if level is not None and level.level > invoice.dunning_level:
        events.append(
            DunningNoticeIssued(
                invoice_id=invoice.invoice_id,
                customer_id=invoice.customer_id,
                level=level.level,
                level_name=level.name,
                days_overdue=days,
                as_of=as_of,
                open_amount=open_amount,
                contact=contact,
            )
        )
    return events
