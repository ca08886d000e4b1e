"""A relay or consumer process for the crash tests (killed with SIGKILL mid-batch).

python worker.py relay <db_url> <bootstrap> <prefix>
python worker.py consumer <db_url> <bootstrap> <prefix>
"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from backoffice_events.catalog.orders import StockReceived
from backoffice_events.consumer import ConsumedEvent, EventConsumer
from backoffice_events.kafka import KafkaConfig
from backoffice_events.outbox import OutboxRelay


async def record_effect(conn: AsyncConnection, event: ConsumedEvent) -> None:
    assert isinstance(event.event, StockReceived)
    # No unique constraint on purpose: a second effect of one event would show as a second row.
    await conn.execute(
        text("INSERT INTO effects (event_id, sku, quantity) VALUES (:id, :sku, :q)"),
        {"id": event.envelope.id, "sku": event.event.sku, "q": event.event.quantity},
    )
    await asyncio.sleep(0.001)  # keep batches in flight long enough to be killed mid-way


async def main(mode: str, db_url: str, bootstrap: str, prefix: str) -> None:
    kafka = KafkaConfig(bootstrap, prefix, "crash-test")
    if mode == "relay":
        await OutboxRelay(db_url, "crash-test", kafka, batch_size=50).run()
    else:
        engine = create_async_engine(db_url)
        consumer = EventConsumer(
            name="crash-consumer",
            engine=engine,
            kafka=kafka,
            topics=["backoffice.orders"],
            handlers={StockReceived: record_effect},
            batch_size=100,
        )
        await consumer.run()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
