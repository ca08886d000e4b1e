"""Outbox relay: publishes committed events from the outbox table to Kafka.

Guarantees: rows are marked published only after the broker acknowledged them (acks=all,
idempotent producer), so a crash at any point can only publish again, never lose. Per-stream
order holds because rows are read in id order and a stream's appends are serialised by its
stream row. Exactly one relay per service database is active: it holds a PostgreSQL advisory
lock on its own connection; a standby waits and takes over when that session ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer

from .kafka import KafkaConfig, reliable_producer
from .store import envelope_from_row

log = logging.getLogger(__name__)

_FETCH = """
SELECT o.id, e.event_id, e.stream_id, e.stream_version, e.type, e.source, e.topic, e.occurred_at,
       e.correlation_id, e.causation_id, e.actor, e.data::text AS data
FROM outbox o JOIN events e ON e.position = o.event_position
WHERE o.published_at IS NULL
ORDER BY o.id
LIMIT $1
"""


def relay_lock_key(service: str) -> int:
    """A stable 63-bit advisory-lock key per service."""
    return int.from_bytes(hashlib.sha256(f"outbox-relay:{service}".encode()).digest()[:8], "big") >> 1


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    active: bool = False
    on_publish: list[Callable[[int], None]] = field(default_factory=list)


class OutboxRelay:
    """Moves outbox rows to Kafka in batches. Run one per service (more are standbys)."""

    def __init__(
        self,
        dsn: str,
        service: str,
        kafka: KafkaConfig,
        *,
        batch_size: int = 2000,
        idle_sleep: float = 0.02,
        producer_factory: Callable[[], AIOKafkaProducer] | None = None,
    ) -> None:
        self.dsn = _asyncpg_dsn(dsn)
        self.service = service
        self.kafka = kafka
        self.batch_size = batch_size
        self.idle_sleep = idle_sleep
        self.stats = RelayStats()
        self._producer_factory = producer_factory or (lambda: reliable_producer(kafka))
        self._stop = asyncio.Event()

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> None:
        """Wait for leadership, then publish until stopped; reconnect after failures."""
        import asyncpg

        while not self._stop.is_set():
            conn: Any = None
            producer: AIOKafkaProducer | None = None
            try:
                conn = await asyncpg.connect(self.dsn)
                if not await self._acquire_leadership(conn):
                    return
                producer = self._producer_factory()
                await producer.start()
                self.stats.active = True
                log.info("outbox relay active", extra={"service": self.service})
                while not self._stop.is_set():
                    sent = await self.publish_batch(conn, producer)
                    if sent == 0:
                        await _sleep_or_stop(self._stop, self.idle_sleep)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", extra={"service": self.service})
                await _sleep_or_stop(self._stop, 1.0)
            finally:
                self.stats.active = False
                if producer is not None:
                    try:
                        await producer.stop()
                    except Exception:
                        log.warning("producer stop failed", exc_info=True)
                if conn is not None:
                    await conn.close()

    async def _acquire_leadership(self, conn: Any) -> bool:
        key = relay_lock_key(self.service)
        waited = False
        while not self._stop.is_set():
            if await conn.fetchval("SELECT pg_try_advisory_lock($1)", key):
                return True
            if not waited:
                log.info("another outbox relay is active; standing by", extra={"service": self.service})
                waited = True
            await _sleep_or_stop(self._stop, 0.5)
        return False

    async def publish_batch(self, conn: Any, producer: AIOKafkaProducer) -> int:
        """Publish up to ``batch_size`` pending rows; mark them after the broker acked all."""
        rows = await conn.fetch(_FETCH, self.batch_size)
        if not rows:
            return 0
        futures = []
        for r in rows:
            env = envelope_from_row(r, {})
            futures.append(
                await producer.send(
                    self.kafka.topic(r["topic"]),
                    value=r["data"].encode(),
                    key=env.kafka_key(),
                    headers=env.kafka_headers(),
                )
            )
        await asyncio.gather(*futures)
        await conn.execute(
            "UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", [r["id"] for r in rows]
        )
        self.stats.published += len(rows)
        self.stats.batches += 1
        for hook in self.stats.on_publish:
            hook(len(rows))
        return len(rows)


async def outbox_backlog(conn: Any) -> int:
    """Number of events committed but not yet published."""
    return int(await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"))


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def _asyncpg_dsn(url: str) -> str:
    """Accept SQLAlchemy-style URLs (``postgresql+asyncpg://``) too."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
