"""Pure domain of the support service: aggregates, rules, no I/O.

- ``tickets``: the ``Ticket`` aggregate (open, assign, reply, root cause, remedies, resolve,
  close, reopen, rating, SLA breaches).
- ``sla``: ``SlaPolicy`` (targets per priority) and ``breaches_due``.
- ``remedies``: remedy status and the outcomes other services report.
- ``history``: the customer's timeline and open balances, projected from events.
- ``reports``: period reports over plain fact records.
"""

from .history import TimelineEntry, timeline_entry
from .remedies import Remedy, RemedyKind, RemedyStatus, remedy_outcome_of
from .reports import (
    OrderFact,
    Period,
    Ratio,
    RemedyFact,
    RemedyTotals,
    Retention,
    SupportReport,
    TicketFact,
    remedy_facts,
    support_report,
    ticket_fact,
)
from .sla import DEFAULT_SLA_POLICY, SlaPolicy, SlaTarget, breaches_due
from .tickets import DEFAULT_REOPEN_WINDOW, ROOT_CAUSES, Ticket, TicketEvent, TicketStatus

__all__ = [
    "DEFAULT_REOPEN_WINDOW",
    "DEFAULT_SLA_POLICY",
    "ROOT_CAUSES",
    "OrderFact",
    "Period",
    "Ratio",
    "Remedy",
    "RemedyFact",
    "RemedyKind",
    "RemedyStatus",
    "RemedyTotals",
    "Retention",
    "SlaPolicy",
    "SlaTarget",
    "SupportReport",
    "Ticket",
    "TicketEvent",
    "TicketFact",
    "TicketStatus",
    "TimelineEntry",
    "breaches_due",
    "remedy_facts",
    "remedy_outcome_of",
    "support_report",
    "ticket_fact",
    "timeline_entry",
]
