"""The event catalog. Importing this package registers every event model."""

from . import billing, chart, ledger, orders, payables, support  # noqa: F401  (registration side effects)
from .base import (
    CATALOG,
    Catalog,
    CatalogError,
    EventModel,
    InvalidEventPayload,
    UnknownEventType,
    parse_type,
    register,
    upcaster,
)
from .topics import BILLING, DLQ_SUFFIX, EVENT_TOPICS, LEDGER, ORDERS, PAYABLES, SUPPORT, dlq_topic

__all__ = [
    "BILLING",
    "CATALOG",
    "DLQ_SUFFIX",
    "EVENT_TOPICS",
    "LEDGER",
    "ORDERS",
    "PAYABLES",
    "SUPPORT",
    "Catalog",
    "CatalogError",
    "EventModel",
    "InvalidEventPayload",
    "UnknownEventType",
    "dlq_topic",
    "parse_type",
    "register",
    "upcaster",
]
