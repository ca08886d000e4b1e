"""Exactly-once effect when the relay and a consumer are SIGKILLed mid-batch and restarted.

Counts are compared, not assumed: every appended event reaches Kafka at least once and the
consumer's table holds exactly one effect per event.
"""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from event_test_support import envelopes, read_topic
from sqlalchemy import text

from backoffice_events.catalog.orders import StockReceived
from backoffice_events.store import EventStore
from backoffice_events.testing import eventually

pytestmark = pytest.mark.integration

WORKER = Path(__file__).with_name("worker.py")
EVENTS = 3000


def start(mode: str, url: str, kafka_config) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(WORKER), mode, url, kafka_config.bootstrap_servers, kafka_config.topic_prefix],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def kill(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


async def scalar(engine, sql: str) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text(sql))).scalar() or 0)


async def test_sigkill_relay_and_consumer_lose_nothing_and_apply_nothing_twice(engine, kafka_config) -> None:
    url = engine.url.render_as_string(hide_password=False)
    store = EventStore("crash-test")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE effects (event_id text, sku text, quantity int)"))
    for batch in range(EVENTS // 100):
        async with engine.begin() as conn:
            for s in range(10):
                await store.append(
                    conn,
                    f"stock-{batch}-{s}",
                    "stock",
                    0,
                    [StockReceived(sku=f"S{batch}-{s}", quantity=q + 1) for q in range(10)],
                )

    # Relay: kill it once part of the outbox is published, then start it again.
    relay = start("relay", url, kafka_config)
    published = "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"
    await eventually(lambda: _above(scalar(engine, published), 300), timeout=60)
    kill(relay)
    partial = await scalar(engine, published)
    assert 0 < partial < EVENTS, "the relay must be killed mid-way for this test to mean anything"
    relay = start("relay", url, kafka_config)
    try:
        await eventually(lambda: _above(scalar(engine, published), EVENTS - 1), timeout=120)
    finally:
        kill(relay)

    records = await read_topic(kafka_config, "backoffice.orders", expect=EVENTS)
    ids = [e.id for e in envelopes(records)]
    async with engine.connect() as conn:
        stored = {str(r[0]) for r in await conn.execute(text("SELECT event_id FROM events"))}
    assert set(ids) == stored and len(stored) == EVENTS  # nothing lost (duplicates allowed on the wire)

    # Consumer: kill it mid-way through its batches, then start it again.
    consumer = start("consumer", url, kafka_config)
    await eventually(lambda: _above(scalar(engine, "SELECT count(*) FROM effects"), 400), timeout=60)
    kill(consumer)
    partial = await scalar(engine, "SELECT count(*) FROM effects")
    assert 0 < partial < EVENTS
    consumer = start("consumer", url, kafka_config)
    try:
        await eventually(
            lambda: _above(scalar(engine, "SELECT count(*) FROM effects"), EVENTS - 1), timeout=120
        )
        await asyncio.sleep(2)  # give any duplicate application a chance to show
    finally:
        kill(consumer)
    assert await scalar(engine, "SELECT count(*) FROM effects") == EVENTS
    assert await scalar(engine, "SELECT count(DISTINCT event_id) FROM effects") == EVENTS
    assert await scalar(engine, "SELECT count(*) FROM processed_events") == EVENTS


async def _above(awaitable, n: int) -> bool:
    return (await awaitable) > n
