"""Consumer runtime: Kafka records in, database effects exactly once, offsets after commit.

For each polled batch:
1. A consumer that names the event types it handles first reads each record's ``ce_type``
   header and skips, WITHOUT decoding, a type it has no handler for (any version of a handled
   type counts, as it upcasts). So an event type one service does not know yet (a rolling
   deploy adding it) is not dead-lettered by every other service. The remaining records are
   decoded (CloudEvents envelope, then the catalog); records that cannot be decoded go to
   ``<topic>.dlq`` with the reason and their original coordinates. A consumer that handles
   everything (a batch handler without ``handles``) decodes every record, so a type unknown to
   it is a dead letter.
2. The records this consumer handles are applied in ONE database transaction, together with
   the "event id handled" rows; ids already recorded are skipped, so redelivery has no effect.
3. If the batch fails, transient errors (connection, serialization, deadlock) retry the batch
   with backoff; otherwise the records are retried one by one, each in its own transaction,
   and a record that keeps failing is dead-lettered.
4. Dead letters are acknowledged by the broker, handed to the ``on_dead_letter`` hook (which
   may record them durably), then offsets are committed.
A SIGKILL anywhere before step 4 redelivers the batch; the dedupe rows make that harmless.
A consumer that is stopping while its batch meets a transient error gives the batch up
uncommitted instead of retrying or dead-lettering it: the next owner of the partitions (or this
consumer after a restart) reads it again. Transient errors never count towards dead-lettering.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .catalog import CATALOG, Catalog, CatalogError, EventModel, dlq_topic, parse_type
from .context import message_context
from .envelope import Envelope, EnvelopeError
from .kafka import KafkaConfig, reliable_producer
from .store import driver

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConsumedEvent:
    """A decoded event with where it came from."""

    envelope: Envelope
    event: EventModel
    topic: str
    partition: int
    offset: int
    record: Any = None  # the original Kafka record, dead-lettered byte for byte


Handler = Callable[[AsyncConnection, ConsumedEvent], Awaitable[None]]
BatchHandler = Callable[[AsyncConnection, Sequence[ConsumedEvent]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeadLettered:
    """What a consumer dead-lettered: the record's coordinates, what its headers say it is
    (``event_id``/``event_type`` are None when the record is not a readable CloudEvent) and why."""

    topic: str
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    reason: str


DeadLetterHook = Callable[[AsyncConnection, Sequence[DeadLettered]], Awaitable[None]]


class PermanentError(Exception):
    """Raised by a handler for an event it can never apply: dead-letter without retries."""


class ConsumerStopping(Exception):
    """The consumer stops while a batch fails transiently: leave the batch uncommitted."""


@dataclass
class ConsumerStats:
    handled: int = 0
    skipped_duplicates: int = 0
    skipped_types: int = 0  # records of a type this consumer has no handler for, not decoded
    dead_lettered: int = 0
    batches: int = 0
    last_event_time: dt.datetime | None = None
    on_handled: list[Callable[[Sequence[ConsumedEvent]], None]] = field(default_factory=list)


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying the whole batch for: the database or network blinked."""
    if isinstance(exc, OperationalError | ConnectionError | OSError | asyncio.TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    code = getattr(getattr(exc, "orig", None), "sqlstate", None) or getattr(exc, "sqlstate", None)
    return code in {"40001", "40P01", "57P01", "08006", "08003", "08001"}


class EventConsumer:
    """Runs one consumer group over some topics with handlers per event model."""

    def __init__(
        self,
        *,
        name: str,
        engine: AsyncEngine,
        kafka: KafkaConfig,
        topics: Sequence[str],
        handlers: Mapping[type[EventModel], Handler] | None = None,
        batch_handler: BatchHandler | None = None,
        handles: Sequence[type[EventModel]] = (),
        catalog: Catalog = CATALOG,
        max_attempts: int = 3,
        batch_size: int = 500,
        retry_backoff: float = 0.2,
        group_id: str | None = None,
        on_dead_letter: DeadLetterHook | None = None,
    ) -> None:
        if (handlers is None) == (batch_handler is None):
            raise ValueError("give either per-event handlers or one batch handler")
        self.name = name
        self.engine = engine
        self.kafka = kafka
        self.topics = list(topics)
        self.handlers = dict(handlers or {})
        self.batch_handler = batch_handler
        self.handled_types = set(self.handlers) | set(handles)
        # Type names (without version) filtered on before decoding; empty = take every type.
        self.handled_names = {model.event_type for model in self.handled_types}
        self.on_dead_letter = on_dead_letter
        self.catalog = catalog
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.retry_backoff = retry_backoff
        self.group_id = group_id or kafka.topic_prefix + name
        self.stats = ConsumerStats()
        self._stop = asyncio.Event()
        self.consumer: AIOKafkaConsumer | None = None
        self._dlq_producer: AIOKafkaProducer | None = None

    def stop(self) -> None:
        self._stop.set()

    # lifecycle -------------------------------------------------------------
    async def run(self) -> None:
        """Consume until ``stop()``; reconnects after broker failures."""
        while not self._stop.is_set():
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer crashed; restarting", extra={"consumer": self.name})
                await asyncio.sleep(1.0)

    async def _run_once(self) -> None:
        consumer = AIOKafkaConsumer(
            *[self.kafka.topic(t) for t in self.topics],
            bootstrap_servers=self.kafka.bootstrap_servers,
            client_id=f"{self.kafka.client_id}-{self.name}",
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=self.batch_size,
            fetch_max_bytes=16 * 1024 * 1024,
            max_partition_fetch_bytes=4 * 1024 * 1024,
            session_timeout_ms=10000,
            heartbeat_interval_ms=2000,
        )
        producer = reliable_producer(self.kafka)
        await consumer.start()
        await producer.start()
        self.consumer, self._dlq_producer = consumer, producer
        try:
            while not self._stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=self.batch_size)
                if batch:
                    await self.process(batch)
        except ConsumerStopping as exc:
            # Nothing of the batch was committed (neither effects nor offsets): it is redelivered.
            log.info("stopping with an uncommitted batch (%s)", exc.__cause__, extra={"consumer": self.name})
        finally:
            self.consumer = None
            await consumer.stop()
            await producer.stop()

    # one batch -------------------------------------------------------------
    async def process(self, batch: Mapping[TopicPartition, Sequence[ConsumerRecord[Any, Any]]]) -> None:
        """Handle one polled batch and commit its offsets."""
        decoded: list[ConsumedEvent] = []
        dead: list[tuple[ConsumerRecord[Any, Any], str]] = []
        for records in batch.values():
            for record in records:
                if self.handled_names and not self._wanted(record):
                    self.stats.skipped_types += 1
                    continue
                try:
                    envelope = Envelope.from_kafka(record.headers, record.value)
                    event = self.catalog.decode(envelope.type, envelope.data)
                except (EnvelopeError, CatalogError) as exc:
                    dead.append((record, f"{type(exc).__name__}: {exc}"))
                    continue
                if self.handled_types and type(event) not in self.handled_types:
                    continue
                decoded.append(
                    ConsumedEvent(envelope, event, record.topic, record.partition, record.offset, record)
                )
        if decoded:
            dead.extend(await self._apply_with_retries(decoded))
        if dead:
            await self._dead_letter(dead)
        await self._commit({tp: records[-1].offset + 1 for tp, records in batch.items() if records})
        self.stats.batches += 1

    def _wanted(self, record: ConsumerRecord[Any, Any]) -> bool:
        """Whether the record's ``ce_type`` header names a type this consumer handles. A record
        without the header is not a CloudEvent: it is decoded, and so dead-lettered."""
        raw = next((v for k, v in (record.headers or ()) if k == "ce_type"), None)
        if raw is None:
            return True
        try:
            name, _version = parse_type(raw.decode())
        except (UnicodeDecodeError, CatalogError):
            return False  # no handler can exist for a malformed type
        return name in self.handled_names

    async def _apply_with_retries(
        self, events: list[ConsumedEvent]
    ) -> list[tuple[ConsumerRecord[Any, Any], str]]:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._apply(events)
                return []
            except Exception as exc:
                if is_transient(exc):
                    await self._before_transient_retry(exc, attempt)
                    continue
                if len(events) == 1:
                    break
                log.warning("batch failed (%s); isolating the failing event", exc)
                dead: list[tuple[ConsumerRecord[Any, Any], str]] = []
                for event in events:
                    dead.extend(await self._apply_with_retries([event]))
                return dead
        # A single event that fails for a non-transient reason: retry a few times, then give up.
        # Transient errors on the way do not count: the event is not at fault.
        reason = ""
        failures = transient = 0
        while failures < self.max_attempts:
            try:
                await self._apply(events)
                return []
            except PermanentError as exc:
                reason = f"PermanentError: {exc}"
                break
            except Exception as exc:
                reason = f"{type(exc).__name__}: {exc}"
                if is_transient(exc):
                    transient += 1
                    await self._before_transient_retry(exc, transient)
                    continue
                failures += 1
                if failures < self.max_attempts:
                    await asyncio.sleep(self.retry_backoff * failures)
        event = events[0]
        log.error("dead-lettering %s %s: %s", event.envelope.type, event.envelope.id, reason)
        return [(_as_record(event), reason)]

    async def _before_transient_retry(self, exc: BaseException, attempt: int) -> None:
        """Back off before retrying after a transient error; give the batch up if stopping
        (before or during the pause), since it will be redelivered."""
        if self._stop.is_set():
            raise ConsumerStopping("stopping during a transient failure") from exc
        delay = min(self.retry_backoff * 2 ** min(attempt, 6), 10.0)
        log.warning("transient failure, retrying in %.1fs: %s", delay, exc)
        try:
            await asyncio.wait_for(self._stop.wait(), delay)
        except TimeoutError:
            return
        raise ConsumerStopping("stopping during a transient failure") from exc

    async def _apply(self, events: Sequence[ConsumedEvent]) -> None:
        async with self.engine.begin() as conn:
            db = await driver(conn)
            fresh_ids = {
                r["event_id"]
                for r in await db.fetch(
                    "INSERT INTO processed_events (consumer, event_id) SELECT $1, unnest($2::text[])"
                    " ON CONFLICT DO NOTHING RETURNING event_id",
                    self.name,
                    [e.envelope.id for e in events],
                )
            }
            fresh = [e for e in events if e.envelope.id in fresh_ids]
            unique: list[ConsumedEvent] = []
            seen: set[str] = set()
            for e in fresh:  # the same id twice in one batch is applied once
                if e.envelope.id not in seen:
                    seen.add(e.envelope.id)
                    unique.append(e)
            if self.batch_handler is not None:
                if unique:
                    with message_context(
                        unique[0].envelope.correlation_id, unique[0].envelope.id, unique[0].envelope.actor
                    ):
                        await self.batch_handler(conn, unique)
            else:
                for event in unique:
                    handler = self.handlers.get(type(event.event))
                    if handler is None:
                        continue
                    with message_context(
                        event.envelope.correlation_id, event.envelope.id, event.envelope.actor
                    ):
                        await handler(conn, event)
        self.stats.handled += len(unique)
        self.stats.skipped_duplicates += len(events) - len(unique)
        if unique:
            self.stats.last_event_time = unique[-1].envelope.time
            for hook in self.stats.on_handled:
                hook(unique)

    async def _dead_letter(self, dead: Sequence[tuple[ConsumerRecord[Any, Any], str]]) -> None:
        assert self._dlq_producer is not None
        futures = []
        for record, reason in dead:
            headers = [(k, v) for k, v in (record.headers or ()) if not k.startswith("dlq_")]
            headers += [
                ("dlq_reason", reason[:4000].encode()),
                ("dlq_topic", record.topic.encode()),
                ("dlq_partition", str(record.partition).encode()),
                ("dlq_offset", str(record.offset).encode()),
                ("dlq_consumer", self.name.encode()),
                ("dlq_failed_at", dt.datetime.now(dt.UTC).isoformat().encode()),
            ]
            futures.append(
                await self._dlq_producer.send(
                    dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
                )
            )
        await asyncio.gather(*futures)
        self.stats.dead_lettered += len(dead)
        if self.on_dead_letter is not None:
            # After the broker has them and before offsets are committed: a crash in between
            # dead-letters (and records) the same records again, never loses the record.
            letters = [_dead_lettered(record, reason) for record, reason in dead]
            async with self.engine.begin() as conn:
                await self.on_dead_letter(conn, letters)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        if not offsets or self.consumer is None:
            return
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            # A rebalance took the partitions away: the next owner re-reads these records
            # and the dedupe rows make that harmless.
            log.warning("offset commit failed: %s", exc)

    # observability -----------------------------------------------------------
    async def lag(self) -> dict[str, int]:
        """Records behind the end of each assigned partition."""
        consumer = self.consumer
        if consumer is None:
            return {}
        assignment = list(consumer.assignment())
        if not assignment:
            return {}
        ends = await consumer.end_offsets(assignment)
        lag: dict[str, int] = {}
        for tp in assignment:
            position = await consumer.position(tp)
            lag[f"{tp.topic}:{tp.partition}"] = max(0, ends[tp] - position)
        return lag


def _dead_lettered(record: Any, reason: str) -> DeadLettered:
    headers = {k: v for k, v in (record.headers or ()) if k in ("ce_id", "ce_type")}

    def text(name: str) -> str | None:
        raw = headers.get(name)
        return raw.decode(errors="replace") if raw is not None else None

    return DeadLettered(
        record.topic, record.partition, record.offset, text("ce_id"), text("ce_type"), reason[:4000]
    )


@dataclass(frozen=True)
class _Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]


def _as_record(event: ConsumedEvent) -> Any:
    """Rebuild the original record of a decoded event for the dead-letter topic."""
    if event.record is not None:
        return event.record
    env = event.envelope
    return _Record(
        event.topic,
        event.partition,
        event.offset,
        env.kafka_key(),
        env.kafka_value(),
        tuple(env.kafka_headers()),
    )
