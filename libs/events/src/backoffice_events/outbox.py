"""Outbox relay: publishes committed events from the outbox table to Kafka.

Guarantees: rows are marked published only after the broker acknowledged them (acks=all,
idempotent producer), so a crash at any point can only publish again, never lose. Per-stream
order holds because rows are read in id order and a stream's appends are serialised by its
stream row. Exactly one relay per service database is active: it holds a PostgreSQL advisory
lock on its own connection; a standby waits and takes over when that session ends.

A record the broker refuses for good (larger than the topic accepts, invalid) is parked: its
row gets ``parked_at`` and ``park_reason`` and is skipped from then on, so the rest of the outbox
keeps flowing; later events of the same stream are published without it. Every other failure
(broker down, timeouts) is retried with the whole batch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    CorruptRecordException,
    InvalidTopicError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
    RecordTooLargeError,
    UnsupportedForMessageFormatError,
)

from .kafka import KafkaConfig, reliable_producer
from .store import envelope_from_row

log = logging.getLogger(__name__)

_FETCH = """
SELECT o.id, e.event_id, e.stream_id, e.stream_version, e.type, e.source, e.topic, e.occurred_at,
       e.correlation_id, e.causation_id, e.actor, e.data::text AS data
FROM outbox o JOIN events e ON e.position = o.event_position
WHERE o.published_at IS NULL AND o.parked_at IS NULL
ORDER BY o.id
LIMIT $1
"""


# Broker (or client-side) refusals that no retry can change: the record itself is at fault.
REFUSED_FOR_GOOD: tuple[type[BaseException], ...] = (
    MessageSizeTooLargeError,
    RecordTooLargeError,
    RecordListTooLargeError,
    CorruptRecordException,
    InvalidTopicError,
    UnsupportedForMessageFormatError,
)


def refused_for_good(exc: BaseException | None) -> bool:
    """Whether the broker will never accept the record that failed with ``exc``."""
    return isinstance(exc, REFUSED_FOR_GOOD)


def relay_lock_key(service: str) -> int:
    """A stable 63-bit advisory-lock key per service."""
    return int.from_bytes(hashlib.sha256(f"outbox-relay:{service}".encode()).digest()[:8], "big") >> 1


@dataclass
class RelayStats:
    published: int = 0
    batches: int = 0
    parked: int = 0
    active: bool = False
    last_error: str | None = None  # the last failure of the relay loop; None once it published
    on_publish: list[Callable[[int], None]] = field(default_factory=list)
    on_park: list[Callable[[int], None]] = field(default_factory=list)


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
        self.producer_needs_reset = False  # set after a refusal: the producer's sequence broke

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
                    self.stats.last_error = None
                    if self.producer_needs_reset:
                        self.producer_needs_reset = False
                        await producer.stop()
                        producer = None
                        producer = self._producer_factory()
                        await producer.start()
                    if sent == 0:
                        await _sleep_or_stop(self._stop, self.idle_sleep)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.last_error = f"{type(exc).__name__}: {exc}"
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
        """Publish up to ``batch_size`` pending rows; mark them after the broker acked all.
        Rows refused for good are parked; any other failure raises (the batch is retried)."""
        rows = await conn.fetch(_FETCH, self.batch_size)
        if not rows:
            return 0
        outcomes = await self._send_all(producer, rows)
        failed = [row for row, exc in zip(rows, outcomes, strict=True) if exc is not None]
        if failed and not any(refused_for_good(exc) for exc in outcomes):
            raise next(exc for exc in outcomes if exc is not None)
        acked = [r["id"] for r, exc in zip(rows, outcomes, strict=True) if exc is None]
        await self._mark_published(conn, acked)
        if failed:
            # The broker refuses a whole producer batch for one oversize record, and the
            # idempotent producer's sequence numbers are broken after a refusal (later sends
            # fail out of order): resend each failed row alone on fresh producers, park only
            # the rows refused on their own, and replace the relay's producer.
            self.producer_needs_reset = True
            await self._isolate(conn, failed)
        return len(rows)

    async def _mark_published(self, conn: Any, ids: list[int]) -> None:
        if not ids:
            return
        await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1::bigint[])", ids)
        self.stats.published += len(ids)
        self.stats.batches += 1
        for hook in self.stats.on_publish:
            hook(len(ids))

    async def _isolate(self, conn: Any, rows: list[Any]) -> None:
        producer: AIOKafkaProducer | None = None
        try:
            for row in rows:
                if producer is None:
                    producer = self._producer_factory()
                    await producer.start()
                (exc,) = await self._send_all(producer, [row])
                if exc is None:
                    await self._mark_published(conn, [row["id"]])
                    continue
                if not refused_for_good(exc):
                    raise exc
                await self._park(conn, row, exc)
                await producer.stop()  # its sequence numbers are broken now
                producer = None
        finally:
            if producer is not None:
                await producer.stop()

    async def _send_all(self, producer: AIOKafkaProducer, rows: Any) -> list[BaseException | None]:
        """Send ``rows`` in order and wait for every acknowledgement; the error of each (or None)."""
        futures: list[asyncio.Future[Any] | BaseException] = []
        for r in rows:
            env = envelope_from_row(r, {})
            try:
                futures.append(
                    await producer.send(
                        self.kafka.topic(r["topic"]),
                        value=r["data"].encode(),
                        key=env.kafka_key(),
                        headers=env.kafka_headers(),
                    )
                )
            except REFUSED_FOR_GOOD as exc:  # refused by the client before sending (max_request_size)
                futures.append(exc)
        pending = [f for f in futures if not isinstance(f, BaseException)]
        results = iter(await asyncio.gather(*pending, return_exceptions=True))
        outcomes: list[BaseException | None] = []
        for f in futures:
            if isinstance(f, BaseException):
                outcomes.append(f)
            else:
                result = next(results)
                outcomes.append(result if isinstance(result, BaseException) else None)
        return outcomes

    async def _park(self, conn: Any, row: Any, exc: BaseException) -> None:
        reason = f"{type(exc).__name__}: {exc}"[:2000]
        log.error(
            "outbox row %s (event %s, %s) refused by the broker for good; parked: %s",
            row["id"],
            row["event_id"],
            row["type"],
            reason,
            extra={"service": self.service},
        )
        await conn.execute(
            "UPDATE outbox SET parked_at = now(), park_reason = $2 WHERE id = $1", row["id"], reason
        )
        self.stats.parked += 1
        for hook in self.stats.on_park:
            hook(1)


async def outbox_backlog(conn: Any) -> int:
    """Number of events committed but not yet published."""
    return int(
        await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL AND parked_at IS NULL")
    )


async def outbox_parked(conn: Any) -> int:
    """Number of outbox rows parked because the broker refused them for good."""
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE parked_at IS NOT NULL AND published_at IS NULL"
        )
    )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


def _asyncpg_dsn(url: str) -> str:
    """Accept SQLAlchemy-style URLs (``postgresql+asyncpg://``) too."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
