"""The worker's own HTTP port: health, readiness per component, and Prometheus metrics.

A worker serves no API, yet it is what needs Kafka: its relay publishes the outbox and its
consumers read the topics. Its port (``WORKER_METRICS_PORT``) answers
- ``/healthz``: the process answers (liveness);
- ``/readyz``: 200 when every component is healthy, else 503, each check named:
  ``database`` and ``kafka`` reachable, ``relay`` (active or standing by, not failing) and
  ``consumer:<name>`` (connected to the broker) for each consumer;
- ``/metrics``: relay, consumer, retention and job metrics of this process.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from backoffice_events.outbox import outbox_backlog, outbox_parked
from backoffice_events.store import driver

from .app import _db_ok, _kafka_ok
from .metrics import COMPONENT_UP, OUTBOX_BACKLOG, OUTBOX_PARKED

if TYPE_CHECKING:
    from .runtime import Worker


async def worker_checks(worker: Worker) -> dict[str, bool]:
    """Each component of the worker and whether it is healthy right now."""
    ctx = worker.ctx
    checks = {"database": await _db_ok(ctx.engine), "kafka": await _kafka_ok(ctx)}
    tasks = {task.get_name(): task for task in worker.tasks}
    name = worker.definition.name
    if worker.relay is not None:
        relay_task = tasks.get(f"{name}-relay")
        alive = relay_task is not None and not relay_task.done()
        checks["relay"] = alive and worker.relay.stats.last_error is None
    for consumer in worker.consumers:
        task = tasks.get(f"{name}-{consumer.name}")
        alive = task is not None and not task.done()
        checks[f"consumer:{consumer.name}"] = alive and consumer.consumer is not None
    for component, ok in checks.items():
        COMPONENT_UP.labels(name, component).set(1 if ok else 0)
    return checks


def worker_health_app(worker: Worker) -> Starlette:
    """The small ASGI app served on the worker's port."""
    service = worker.definition.name

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "service": service, "process": "worker"})

    async def readyz(request: Request) -> JSONResponse:
        checks = await worker_checks(worker)
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "service": service, "checks": checks},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        try:
            async with asyncio.timeout(2), worker.ctx.engine.connect() as conn:
                db = await driver(conn)
                OUTBOX_BACKLOG.labels(service).set(await outbox_backlog(db))
                OUTBOX_PARKED.labels(service).set(await outbox_parked(db))
        except Exception:  # metrics must answer even when the database does not
            pass
        await worker_checks(worker)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
        ]
    )


async def serve_worker_health(worker: Worker, host: str, port: int) -> None:
    """Serve ``worker_health_app`` until cancelled."""
    import uvicorn

    config = uvicorn.Config(
        worker_health_app(worker), host=host, port=port, log_config=None, access_log=False, lifespan="off"
    )
    await uvicorn.Server(config).serve()
