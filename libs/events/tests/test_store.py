"""Event store against the real PostgreSQL of the local stack."""

import asyncio

import pytest
from sqlalchemy import text

from backoffice_events.catalog.orders import StockReceived
from backoffice_events.context import message_context
from backoffice_events.store import ANY_VERSION, ConcurrencyError, EventStore

pytestmark = pytest.mark.integration


async def test_append_and_read_with_outbox_rows(engine) -> None:
    store = EventStore("test-service")
    with message_context("corr-42", actor="clerk-anna"):
        async with engine.begin() as conn:
            recorded = await store.append(
                conn,
                "stock-A",
                "stock",
                0,
                [StockReceived(sku="A", quantity=5), StockReceived(sku="A", quantity=3)],
            )
    assert [r.envelope.stream_version for r in recorded] == [1, 2]
    async with engine.connect() as conn:
        events, version = await store.load(conn, "stock-A")
        outbox = (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar()
        correlation = (await conn.execute(text("SELECT DISTINCT correlation_id FROM events"))).scalar()
        actor = (await conn.execute(text("SELECT DISTINCT actor FROM events"))).scalar()
        stored = await store.read_stream(conn, "stock-A")
    assert version == 2
    assert actor == "clerk-anna" and [r.envelope.actor for r in recorded] == ["clerk-anna"] * 2
    assert [r.envelope.actor for r in stored] == ["clerk-anna"] * 2
    assert [e.quantity for e in events] == [5, 3]  # type: ignore[attr-defined]
    assert outbox == 2
    assert correlation == "corr-42"


async def test_stale_expected_version_fails_and_writes_nothing(engine) -> None:
    store = EventStore("test-service")
    async with engine.begin() as conn:
        await store.append(conn, "stock-B", "stock", 0, [StockReceived(sku="B", quantity=1)])
    for expected in (0, 5):  # "new stream" on an existing one, and a version from the future
        with pytest.raises(ConcurrencyError):
            async with engine.begin() as conn:
                await store.append(conn, "stock-B", "stock", expected, [StockReceived(sku="B", quantity=9)])
    async with engine.connect() as conn:
        count = (await conn.execute(text("SELECT count(*) FROM events"))).scalar()
        outbox = (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar()
        version = await store.stream_version(conn, "stock-B")
    assert (count, outbox, version) == (1, 1, 1)


async def test_optimistic_concurrency_lets_exactly_one_writer_win(engine) -> None:
    store = EventStore("test-service")
    async with engine.begin() as conn:
        await store.append(conn, "stock-C", "stock", 0, [StockReceived(sku="C", quantity=1)])

    async def writer(i: int) -> bool:
        try:
            async with engine.begin() as conn:
                await store.append(conn, "stock-C", "stock", 1, [StockReceived(sku="C", quantity=i + 1)])
            return True
        except ConcurrencyError:
            return False

    results = await asyncio.gather(*(writer(i) for i in range(10)))
    assert results.count(True) == 1
    async with engine.connect() as conn:
        assert await store.stream_version(conn, "stock-C") == 2
        assert (await conn.execute(text("SELECT count(*) FROM events"))).scalar() == 2


async def test_any_version_appends_serialise(engine) -> None:
    store = EventStore("test-service")

    async def writer() -> None:
        async with engine.begin() as conn:
            await store.append(conn, "stock-D", "stock", ANY_VERSION, [StockReceived(sku="D", quantity=1)])

    await asyncio.gather(*(writer() for _ in range(20)))
    async with engine.connect() as conn:
        events, version = await store.load(conn, "stock-D")
    assert version == 20 and len(events) == 20


async def test_rolled_back_transaction_leaves_no_event_and_no_outbox_row(engine) -> None:
    store = EventStore("test-service")
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await store.append(conn, "stock-E", "stock", 0, [StockReceived(sku="E", quantity=1)])
            raise RuntimeError("handler failed after the append")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM events"))).scalar() == 0
        assert (await conn.execute(text("SELECT count(*) FROM outbox"))).scalar() == 0
        assert (await conn.execute(text("SELECT count(*) FROM event_streams"))).scalar() == 0
