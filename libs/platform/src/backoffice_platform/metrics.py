"""Prometheus metrics shared by every service (labelled by service)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "backoffice_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_APPENDED = Counter(
    "backoffice_events_appended_total", "Events appended to the event store", ["service"]
)
OUTBOX_BACKLOG = Gauge("backoffice_outbox_backlog", "Events committed but not yet published", ["service"])
EVENTS_PUBLISHED = Counter("backoffice_events_published_total", "Events published by the relay", ["service"])
EVENTS_CONSUMED = Counter(
    "backoffice_events_consumed_total", "Events handled by consumers", ["service", "consumer"]
)
CONSUMER_LAG = Gauge("backoffice_consumer_lag", "Records behind the partition end", ["service", "consumer"])
DEAD_LETTERS = Counter(
    "backoffice_dead_letters_total", "Records sent to a dead-letter topic", ["service", "consumer"]
)
LEDGER_INVARIANTS_OK = Gauge(
    "backoffice_ledger_invariants_ok",
    "1 when the last ledger invariant check passed, 0 otherwise",
    ["service"],
)
OUTBOX_PARKED = Gauge(
    "backoffice_outbox_parked_rows",
    "Outbox rows parked because the broker refused them for good",
    ["service"],
)
OUTBOX_PARKED_TOTAL = Counter(
    "backoffice_outbox_parked_total",
    "Outbox rows the relay parked (refused by the broker for good)",
    ["service"],
)
RETENTION_DELETED = Counter(
    "backoffice_retention_deleted_total", "Rows deleted by the retention jobs", ["service", "table"]
)
COMPONENT_UP = Gauge(
    "backoffice_worker_component_up",
    "1 when a worker component (kafka, database, relay, consumer:<name>) is healthy, 0 otherwise",
    ["service", "component"],
)
