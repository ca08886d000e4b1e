"""Rebuilding the books from the topics while reads stay online.

Design (one schema per generation, see ``adapters.books``):

1. **Register.** Under the ``ledger_generation`` row lock, create generation ``n`` (the next
   number never used, so its consumer group and dedupe scope are fresh) and mark it
   ``pending``. The live consumer reads that row ``FOR SHARE`` in every batch, so from the
   next batch on it writes each event into the active AND the pending generation.
2. **Replay.** Capture the end offsets of the billing and payables topics (after step 1
   committed), then run a separate ``EventConsumer`` (group ``ledger-rebuild-<n>``, dedupe
   scope ``ledger-rebuild-<n>``) from the beginning, writing only into generation ``n``,
   until its committed offsets reach those ends. Every event before the captured ends comes
   from the replay; every later one the live consumer took after step 1, so it is in ``n``
   too. Each generation dedupes on its own ``source_events`` ids, so an event handed to it by
   both consumers is taken once. Reads keep using the active generation all along.
3. **Switch.** Stop the replay consumer; lock the generation row (waiting for a live batch
   in flight, holding back the next), compare the old and the new books (events taken,
   journal entries and lines, open items, accounts; in SQL) for the status report, then make ``n``
   active in the same transaction. A replay that lacks events the current books hold is
   refused instead (the rebuild fails, nothing changes for readers). The previous
   generation is kept (reads that started before the switch finish on it) and dropped by
   the next rebuild.

A failed rebuild drops its generation and clears ``pending``; one whose process died is
taken over by the next ``POST /rebuild`` once its heartbeat is stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.consumer import EventConsumer
from backoffice_platform.app import ServiceContext
from backoffice_platform.errors import Conflict

from ..adapters import rebuilds
from ..adapters.books import (
    books_differences,
    create_books,
    drop_books,
    events_only_in,
    existing_generations,
    generations,
)
from ..adapters.projection import LEDGER_TOPICS, rebuild_consumer
from ..adapters.rebuilds import RebuildRecord, TopicRange

log = logging.getLogger(__name__)

STALE_AFTER_SECONDS = 60.0
"""A running rebuild without a heartbeat for this long may be taken over."""
POLL_SECONDS = 0.25
_TASK = "ledger_rebuild_task"


class RebuildState(StrEnum):
    RUNNING = "running"
    SWITCHED = "switched"
    FAILED = "failed"
    ABANDONED = "abandoned"


@dataclass
class RebuildProgress:
    """How far a rebuild has come (handed to the ``progress`` callback as it advances)."""

    generation: int
    previous: int
    state: RebuildState = RebuildState.RUNNING
    records_target: int = 0
    records_done: int = 0
    events_applied: int = 0
    books_equal: bool | None = None
    detail: str | None = None
    ranges: list[TopicRange] = field(default_factory=list, repr=False)


ProgressCallback = Callable[[RebuildProgress], None]


class RebuildAbandoned(Exception):
    """Another rebuild took this one over (its heartbeat had gone stale)."""


def _consumer_name(generation: int) -> str:
    return f"ledger-rebuild-{generation}"


async def start_rebuild(ctx: ServiceContext) -> RebuildProgress:
    """Create the next generation and make it pending (step 1). ``Conflict``
    (``rebuild-in-progress``) while another rebuild is alive."""
    async with ctx.engine.begin() as conn:
        current = await generations(conn, lock="update")
        if current.pending is not None:
            running = await rebuilds.get_rebuild(conn, current.pending, STALE_AFTER_SECONDS)
            if running is not None and running.state == RebuildState.RUNNING and not running.stale:
                raise Conflict(
                    f"rebuild of generation {current.pending} is running", rule="rebuild-in-progress"
                )
            await rebuilds.finish_rebuild(
                conn,
                current.pending,
                RebuildState.ABANDONED,
                detail=f"taken over: no heartbeat for {STALE_AFTER_SECONDS:.0f}s",
            )
            await rebuilds.clear_pending(conn, current.pending)
            await drop_books(conn, current.pending)
        generation = await rebuilds.highest_generation(conn) + 1
        await create_books(conn, generation)
        await rebuilds.register_rebuild(conn, generation, current.active)
    log.info("ledger rebuild of generation %s registered (active %s)", generation, current.active)
    return RebuildProgress(generation=generation, previous=current.active)


async def _committed(consumer: EventConsumer, ranges: list[TopicRange]) -> dict[int, int] | None:
    kafka_consumer = consumer.consumer
    if kafka_consumer is None:
        return None
    found: dict[int, int] = {}
    for i, r in enumerate(ranges):
        offset = await kafka_consumer.committed(r.partition)
        found[i] = max(int(offset), r.begin) if offset is not None else r.begin
    return found


async def _replay(ctx: ServiceContext, job: RebuildProgress, progress: ProgressCallback | None) -> None:
    """Step 2: replay the topics into the pending generation up to the captured ends."""
    job.ranges = [r for r in await rebuilds.topic_ranges(ctx.kafka, LEDGER_TOPICS) if r.end > r.begin]
    job.records_target = sum(r.end - r.begin for r in job.ranges)
    consumer = rebuild_consumer(ctx, job.generation) if job.ranges else None
    task = asyncio.create_task(consumer.run(), name=f"ledger-rebuild-{job.generation}") if consumer else None
    try:
        while True:
            caught_up = True
            if consumer is not None:
                committed = await _committed(consumer, job.ranges)
                caught_up = committed is not None and all(
                    committed[i] >= r.end for i, r in enumerate(job.ranges)
                )
                if committed is not None:
                    job.records_done = sum(
                        min(committed[i], r.end) - r.begin for i, r in enumerate(job.ranges)
                    )
                job.events_applied = consumer.stats.handled
            async with ctx.engine.begin() as conn:
                alive = await rebuilds.heartbeat(
                    conn, job.generation, job.records_target, job.records_done, job.events_applied
                )
            if not alive:
                raise RebuildAbandoned(f"rebuild of generation {job.generation} was taken over")
            if progress is not None:
                progress(job)
            if caught_up:
                return
            await asyncio.sleep(POLL_SECONDS)
    finally:
        if consumer is not None and task is not None:
            consumer.stop()
            await asyncio.gather(task, return_exceptions=True)


@dataclass(frozen=True, slots=True)
class BooksComparison:
    """Old and rebuilt books side by side, at the switch."""

    missing: int  # events the old books took that the rebuilt ones did not
    ahead: int  # events the rebuilt books took that the live consumer had not reached yet
    equal: bool
    detail: str


async def compare_books(conn: AsyncConnection, old: int, new: int) -> BooksComparison:
    """Whether two generations hold the same books, and what differs if not."""
    missing = await events_only_in(conn, old, new)
    ahead = await events_only_in(conn, new, old)
    if missing or ahead:
        return BooksComparison(
            missing,
            ahead,
            False,
            f"{missing} event(s) of generation {old} are not in the rebuilt generation {new};"
            f" {ahead} event(s) of generation {new} had not reached generation {old}",
        )
    differ = await books_differences(conn, old, new)
    if differ:
        detail = f"generation {new} differs from generation {old} in: {', '.join(differ)}"
        return BooksComparison(0, 0, False, detail)
    return BooksComparison(0, 0, True, f"generation {new} equals generation {old}")


class RebuildRefused(Exception):
    """The rebuilt books lack events the current ones hold: switching would lose them."""


async def _switch(ctx: ServiceContext, job: RebuildProgress) -> None:
    """Step 3: make the rebuilt generation active, atomically. Refused when the replay did
    not take every event the current books hold (topics cut short, a wrong topic prefix, an
    event the rules now refuse): the rebuild fails and the current books stay."""
    async with ctx.engine.begin() as conn:
        current = await generations(conn, lock="update")
        if current.pending != job.generation:
            raise RebuildAbandoned(f"generation {job.generation} is no longer pending")
        comparison = await compare_books(conn, current.active, job.generation)
        if comparison.missing:
            raise RebuildRefused(f"not switching: {comparison.detail}")
        job.books_equal, job.detail = comparison.equal, comparison.detail
        job.records_done = job.records_target
        await rebuilds.switch_generation(conn, job.generation)
        await rebuilds.finish_rebuild(
            conn,
            job.generation,
            RebuildState.SWITCHED,
            detail=job.detail,
            books_equal=job.books_equal,
            records_done=job.records_done,
            events_applied=job.events_applied,
        )
    job.state = RebuildState.SWITCHED
    log.info("ledger books switched to generation %s: %s", job.generation, job.detail)


async def _clean_up(ctx: ServiceContext, job: RebuildProgress) -> None:
    """Drop generations older than the one just replaced, and the replay's dedupe rows."""
    async with ctx.engine.begin() as conn:
        for generation in await existing_generations(conn):
            if generation < job.previous:
                await drop_books(conn, generation)
    async with ctx.engine.begin() as conn:
        await rebuilds.forget_consumer(conn, _consumer_name(job.generation))


async def _give_up(ctx: ServiceContext, job: RebuildProgress, reason: str) -> None:
    async with ctx.engine.begin() as conn:
        current = await generations(conn, lock="update")
        await rebuilds.finish_rebuild(
            conn, job.generation, RebuildState.FAILED, detail=reason[:2000], events_applied=job.events_applied
        )
        if current.pending == job.generation:
            await rebuilds.clear_pending(conn, job.generation)
            await drop_books(conn, job.generation)
    async with ctx.engine.begin() as conn:
        await rebuilds.forget_consumer(conn, _consumer_name(job.generation))


async def run_rebuild(
    ctx: ServiceContext, job: RebuildProgress, progress: ProgressCallback | None = None
) -> RebuildProgress:
    """Replay and switch a registered rebuild (steps 2 and 3); on failure drop its generation."""
    try:
        await _replay(ctx, job, progress)
        await _switch(ctx, job)
    except RebuildAbandoned as exc:
        job.state, job.detail = RebuildState.ABANDONED, str(exc)
        log.warning("%s", exc)
        return job
    except BaseException as exc:
        job.state, job.detail = RebuildState.FAILED, f"{type(exc).__name__}: {exc}"
        log.exception("ledger rebuild of generation %s failed", job.generation)
        with contextlib.suppress(Exception):
            await asyncio.shield(_give_up(ctx, job, job.detail))
        raise
    if progress is not None:
        progress(job)
    try:
        await _clean_up(ctx, job)
    except Exception:  # the books are switched; leftovers go with the next rebuild
        log.exception("clean-up after the ledger rebuild of generation %s failed", job.generation)
    return job


async def rebuild_books(ctx: ServiceContext, progress: ProgressCallback | None = None) -> RebuildProgress:
    """Rebuild the books from the topics and switch to them (for the CLI); returns the
    finished rebuild. ``Conflict`` while another rebuild is running."""
    job = await start_rebuild(ctx)
    return await run_rebuild(ctx, job, progress)


async def start_rebuild_in_background(ctx: ServiceContext) -> RebuildProgress:
    """Register a rebuild and run it as a task of this process (``POST /rebuild``)."""
    running: asyncio.Task[RebuildProgress] | None = ctx.extras.get(_TASK)
    if running is not None and not running.done():
        raise Conflict("a rebuild is running in this process", rule="rebuild-in-progress")
    job = await start_rebuild(ctx)
    task = asyncio.create_task(run_rebuild(ctx, job), name=f"ledger-rebuild-{job.generation}")
    task.add_done_callback(_retrieve)
    ctx.extras[_TASK] = task
    return job


def _retrieve(task: asyncio.Task[RebuildProgress]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background ledger rebuild failed: %s", task.exception())


@dataclass(frozen=True, slots=True)
class RebuildStatus:
    active: int
    pending: int | None
    last: RebuildRecord | None


async def rebuild_status(ctx: ServiceContext) -> RebuildStatus:
    """The active and pending generations and the latest rebuild."""
    # One snapshot for both reads: a switch committing between them would otherwise report
    # the old generation next to a "switched" rebuild.
    async with ctx.engine.connect() as raw:
        conn = await raw.execution_options(isolation_level="REPEATABLE READ")
        async with conn.begin():
            current = await generations(conn)
            last = await rebuilds.latest_rebuild(conn, STALE_AFTER_SECONDS)
    return RebuildStatus(current.active, current.pending, last)
