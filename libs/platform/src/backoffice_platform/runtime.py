"""How a service runs: its definition, and the processes built from it.

Every service describes itself once (``ServiceDefinition``): migrations, the FastAPI app,
its consumers and its periodic jobs. From that the platform runs:
- ``api``: the HTTP API (uvicorn),
- ``worker``: the outbox relay, the consumers and the periodic jobs,
- ``migrate``: apply migrations and create topics,
- ``all``: api and worker in one process (local runs).
Each part scales on its own: APIs by replicas, consumers by replicas in one consumer group,
the relay by standby replicas (one holds the lock).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import logging
import signal
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI

from backoffice_events.consumer import ConsumedEvent, EventConsumer
from backoffice_events.context import message_context
from backoffice_events.migrate import (
    EVENT_STORE_MIGRATIONS,
    MigrationSet,
    apply_migrations,
    package_migrations,
)
from backoffice_events.outbox import OutboxRelay

from .app import ServiceContext, build_context
from .db import ensure_database
from .logging import configure_logging
from .metrics import CONSUMER_LAG, DEAD_LETTERS, EVENTS_CONSUMED, EVENTS_PUBLISHED, OUTBOX_PARKED_TOTAL
from .settings import ServiceSettings
from .topics import create_event_topics

log = logging.getLogger(__name__)

PLATFORM_MIGRATIONS = package_migrations("backoffice_platform", "backoffice_platform")

JobFn = Callable[[ServiceContext, dt.date], Awaitable[object]]


@dataclass(frozen=True)
class PeriodicJob:
    """A time-dependent job; runs every ``every`` seconds for today, or by hand for any as_of."""

    name: str
    run: JobFn
    every: float = 60.0


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    migrations: MigrationSet
    create_app: Callable[[ServiceContext], FastAPI]
    consumers: Callable[[ServiceContext], Sequence[EventConsumer]] = lambda ctx: ()
    jobs: Sequence[PeriodicJob] = field(default_factory=tuple)
    settings_type: type[ServiceSettings] = ServiceSettings
    # Run once by every worker before its relay and consumers start, e.g. to publish what a
    # new company starts with; must be idempotent (several replicas run it).
    on_start: Callable[[ServiceContext], Awaitable[object]] | None = None

    def settings(self) -> ServiceSettings:
        return self.settings_type(service_name=self.name)

    def all_migrations(self) -> list[MigrationSet]:
        return [EVENT_STORE_MIGRATIONS, PLATFORM_MIGRATIONS, self.migrations]


async def migrate(definition: ServiceDefinition, ctx: ServiceContext) -> None:
    await ensure_database(ctx.settings.resolved_database_url())
    applied = await apply_migrations(ctx.engine, definition.all_migrations())
    if applied:
        log.info("migrations applied: %s", ", ".join(applied))
    await create_event_topics(ctx.settings)


@dataclass
class Worker:
    """The relay, consumers and jobs of one service, as asyncio tasks."""

    definition: ServiceDefinition
    ctx: ServiceContext
    run_jobs: bool = True
    relay: OutboxRelay | None = None
    consumers: list[EventConsumer] = field(default_factory=list)
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        ctx, name = self.ctx, self.definition.name
        if self.definition.on_start is not None:
            await self.definition.on_start(ctx)
        self.relay = OutboxRelay(ctx.engine.url.render_as_string(hide_password=False), name, ctx.kafka)
        self.relay.stats.on_publish.append(EVENTS_PUBLISHED.labels(name).inc)
        self.relay.stats.on_park.append(OUTBOX_PARKED_TOTAL.labels(name).inc)
        self.consumers = list(self.definition.consumers(ctx))
        self.tasks.append(asyncio.create_task(self.relay.run(), name=f"{name}-relay"))
        for consumer in self.consumers:
            consumer.stats.on_handled.append(_count_consumed(name, consumer.name))
            self.tasks.append(asyncio.create_task(consumer.run(), name=f"{name}-{consumer.name}"))
        if self.run_jobs:
            for job in (*self.definition.jobs, *platform_jobs(ctx)):
                self.tasks.append(asyncio.create_task(self._job_loop(job), name=f"{name}-{job.name}"))
        self.tasks.append(asyncio.create_task(self._observe(), name=f"{name}-observe"))

    async def _job_loop(self, job: PeriodicJob) -> None:
        while not self._stop.is_set():
            try:
                with message_context(str(uuid.uuid4()), actor=f"job:{job.name}"):
                    await job.run(self.ctx, self.ctx.clock.today())
            except Exception:
                log.exception("periodic job %s failed", job.name)
            try:
                await asyncio.wait_for(self._stop.wait(), job.every)
            except TimeoutError:
                pass

    async def _observe(self) -> None:
        dead_seen: dict[str, int] = {}
        while not self._stop.is_set():
            for consumer in self.consumers:
                try:
                    lag = await consumer.lag()
                    CONSUMER_LAG.labels(self.definition.name, consumer.name).set(sum(lag.values()))
                except Exception:
                    pass
                new_dead = consumer.stats.dead_lettered - dead_seen.get(consumer.name, 0)
                if new_dead:
                    DEAD_LETTERS.labels(self.definition.name, consumer.name).inc(new_dead)
                    dead_seen[consumer.name] = consumer.stats.dead_lettered
            try:
                await asyncio.wait_for(self._stop.wait(), 5.0)
            except TimeoutError:
                pass

    async def stop(self) -> None:
        self._stop.set()
        if self.relay:
            self.relay.stop()
        for consumer in self.consumers:
            consumer.stop()
        if self.tasks:
            _done, pending = await asyncio.wait(self.tasks, timeout=15)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        self.tasks.clear()


def platform_jobs(ctx: ServiceContext) -> list[PeriodicJob]:
    """Jobs every service's worker runs besides its own: retention of the growing tables."""
    from .retention import run_retention

    return [PeriodicJob("retention", run_retention, every=ctx.settings.retention_every_seconds)]


def _count_consumed(service: str, consumer: str) -> Callable[[Sequence[ConsumedEvent]], None]:
    counter = EVENTS_CONSUMED.labels(service, consumer)
    return lambda events: counter.inc(len(events))


async def _serve_api(app: FastAPI, host: str, port: int) -> None:
    import uvicorn

    config = uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False, lifespan="off")
    await uvicorn.Server(config).serve()


async def _run(definition: ServiceDefinition, mode: str, host: str, port: int) -> None:
    settings = definition.settings()
    configure_logging(definition.name, settings.log_level, settings.log_json)
    ctx = build_context(settings)
    await migrate(definition, ctx)
    if mode == "migrate":
        await ctx.engine.dispose()
        return
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker: Worker | None = None
    api_task: asyncio.Task[None] | None = None
    health_task: asyncio.Task[None] | None = None
    if mode in ("worker", "all"):
        worker = Worker(definition, ctx)
        await worker.start()
        if mode == "worker" and settings.worker_metrics_port:
            from .worker_health import serve_worker_health

            # A worker serves no API: this port gives probes its health and readiness (Kafka,
            # relay, consumers) and lets Prometheus scrape its relay and consumer metrics.
            health_task = asyncio.create_task(serve_worker_health(worker, host, settings.worker_metrics_port))
    if mode in ("api", "all"):
        api_task = asyncio.create_task(_serve_api(definition.create_app(ctx), host, port))
    waiters: list[asyncio.Future[object] | asyncio.Task[object]] = [asyncio.ensure_future(stop.wait())]
    if api_task is not None:
        waiters.append(api_task)  # type: ignore[arg-type]
    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    if api_task is not None and not api_task.done():
        api_task.cancel()
        await asyncio.gather(api_task, return_exceptions=True)
    if health_task is not None:
        health_task.cancel()
        await asyncio.gather(health_task, return_exceptions=True)
    if worker is not None:
        await worker.stop()
    await ctx.engine.dispose()


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> None:
    """``python -m <service> api|worker|migrate|all [--port N]``."""
    parser = argparse.ArgumentParser(prog=f"{definition.name}-service")
    parser.add_argument("mode", choices=["api", "worker", "migrate", "all"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    asyncio.run(_run(definition, args.mode, args.host, args.port))
