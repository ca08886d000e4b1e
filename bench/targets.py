"""The performance targets of DESIGN.md "Performance targets", one entry per number.

A benchmark reports a measurement under a target's ``id``; targets nobody measured yet are
listed in the report as "not measured yet". A benchmark added later only has to put its
numbers under the ids below (or add a target here when DESIGN.md gains one).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal[">=", "<="]


@dataclass(frozen=True)
class Target:
    id: str
    what: str
    op: Op
    value: float
    unit: str
    benchmark: str  # the benchmark (name in bench.run.BENCHMARKS) expected to measure it
    ratio: bool = False  # ratios are listed first in the report

    def met(self, measured: float) -> bool:
        return measured >= self.value if self.op == ">=" else measured <= self.value

    def describe(self) -> str:
        return f"{self.op} {format_number(self.value, self.unit)}"


def format_number(value: float, unit: str = "") -> str:
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


TARGETS: tuple[Target, ...] = (
    # ratios (same workload, same run)
    Target(
        "store_single_vs_eventsourcing",
        "event store, single-event appends (16 writers), ours / `eventsourcing`",
        ">=",
        1.5,
        "x",
        "store-single",
        ratio=True,
    ),
    Target(
        "store_batch_vs_eventsourcing",
        "event store, 100-event batch appends, ours / `eventsourcing`",
        ">=",
        1.5,
        "x",
        "store-batch",
        ratio=True,
    ),
    Target(
        "ledger_rebuild_vs_aiokafka",
        "ledger projection rebuild / bare aiokafka read of the same topic",
        ">=",
        0.4,
        "x",
        "ledger-rebuild",
        ratio=True,
    ),
    Target(
        "post_orders_vs_fastapi",
        "POST /orders (one worker) / trivial FastAPI endpoint",
        ">=",
        0.25,
        "x",
        "http-orders",
        ratio=True,
    ),
    # raw numbers
    Target(
        "store_single_events_per_s",
        "event store, single-event appends, 16 writers",
        ">=",
        3000,
        "events/s",
        "store-single",
    ),
    Target(
        "store_batch_events_per_s",
        "event store, 100-event batch appends",
        ">=",
        50000,
        "events/s",
        "store-batch",
    ),
    Target("relay_events_per_s", "outbox relay to Kafka", ">=", 20000, "events/s", "relay"),
    Target(
        "ledger_rebuild_events_per_s",
        "ledger projection rebuild from Kafka",
        ">=",
        20000,
        "events/s",
        "ledger-rebuild",
    ),
    Target("post_orders_rps", "POST /orders, one worker", ">=", 1000, "req/s", "http-orders"),
    Target(
        "order_to_ledger_orders_per_s",
        "order to ledger, sustained 60 s",
        ">=",
        200,
        "orders/s",
        "order-to-ledger",
    ),
    Target(
        "order_to_ledger_p99_ms",
        "order to ledger, p99 shipment-to-AR-posting",
        "<=",
        500,
        "ms",
        "order-to-ledger",
    ),
    Target(
        "service_rss_mb",
        "memory per service process under the order-to-ledger load",
        "<=",
        200,
        "MB",
        "order-to-ledger",
    ),
)

TARGETS_BY_ID = {t.id: t for t in TARGETS}
