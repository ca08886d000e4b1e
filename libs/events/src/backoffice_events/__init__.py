"""Backoffice events: envelope, catalog, event store, outbox relay and consumer runtime."""

from .catalog import CATALOG, EventModel
from .context import MessageContext, current_context, message_context
from .envelope import Envelope, EnvelopeError
from .money import Money, MoneyError
from .store import ANY_VERSION, ConcurrencyError, EventStore, RecordedEvent

__all__ = [
    "ANY_VERSION",
    "CATALOG",
    "ConcurrencyError",
    "Envelope",
    "EnvelopeError",
    "EventModel",
    "EventStore",
    "MessageContext",
    "Money",
    "MoneyError",
    "RecordedEvent",
    "current_context",
    "message_context",
]
