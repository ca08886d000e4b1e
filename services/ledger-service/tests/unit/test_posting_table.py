"""Every event type on the billing and payables topics is declared posted or not posted, in
exactly one of the two lists: a new money event cannot be skipped by omission."""

from backoffice_events.catalog import BILLING, CATALOG, PAYABLES
from ledger_service.domain import NOT_POSTED, POSTED


def test_every_type_on_the_ledgers_topics_is_declared_exactly_once() -> None:
    names = {m.event_type for m in CATALOG.models() if m.topic in (BILLING, PAYABLES)}
    for name in sorted(names):
        latest = CATALOG.latest(name)  # older versions upcast to it before posting
        assert (latest in POSTED) + (latest in NOT_POSTED) == 1, (
            f"{latest.cloud_type()} must be declared once"
        )
    declared = [*POSTED, *NOT_POSTED]
    assert all(m.topic in (BILLING, PAYABLES) for m in declared)
    assert len(declared) == len(set(declared))


def test_every_type_on_the_ledgers_own_topic_is_declared_exactly_once() -> None:
    from backoffice_events.catalog import LEDGER
    from ledger_service.adapters.projection import LEDGER_NOT_POSTED
    from ledger_service.domain.manual_entries import MANUAL_POSTED

    names = {m.event_type for m in CATALOG.models() if m.topic == LEDGER}
    for name in sorted(names):
        latest = CATALOG.latest(name)
        assert (latest in MANUAL_POSTED) + (latest in LEDGER_NOT_POSTED) == 1, latest.cloud_type()
