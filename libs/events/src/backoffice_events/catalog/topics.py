"""Topic names, one per bounded context. Keyed by aggregate id; retention forever."""

ORDERS = "backoffice.orders"
BILLING = "backoffice.billing"
PAYABLES = "backoffice.payables"
SUPPORT = "backoffice.support"
LEDGER = "backoffice.ledger"

EVENT_TOPICS: tuple[str, ...] = (ORDERS, BILLING, PAYABLES, SUPPORT, LEDGER)
DLQ_SUFFIX = ".dlq"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic for ``topic``."""
    return topic + DLQ_SUFFIX
