"""The one app factory: problem responses, auth, correlation ids, body limits, health,
readiness and Prometheus metrics for every service."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backoffice_events.context import act_as, message_context
from backoffice_events.kafka import KafkaConfig, kafka_reachable
from backoffice_events.outbox import outbox_backlog
from backoffice_events.store import EventStore, driver

from .audit import audit_router
from .auth import AuthError, KeyRing, Principal, Role, permits
from .clock import Clock, SystemClock
from .db import make_engine
from .docs import install_docs
from .errors import InvalidInput
from .metrics import EVENTS_APPENDED, OUTBOX_BACKLOG, REQUEST_LATENCY
from .problems import PROBLEM_JSON, install_problem_handlers, problem
from .settings import ServiceSettings
from .user_tokens import UserTokenVerifier


@dataclass
class ServiceContext:
    """What route handlers need, kept on ``app.state.ctx``."""

    settings: ServiceSettings
    engine: AsyncEngine
    store: EventStore
    clock: Clock
    keys: KeyRing
    kafka: KafkaConfig
    extras: dict[str, Any] = field(default_factory=dict)
    # Verifies the console's signed user tokens; None: only API keys are accepted.
    user_tokens: UserTokenVerifier | None = None
    _kafka_ok: tuple[float, bool] = (0.0, False)


def ctx_of(request: Request) -> ServiceContext:
    ctx: ServiceContext = request.app.state.ctx
    return ctx


def authenticate(ctx: ServiceContext, request: Request) -> Principal:
    """The caller: a person with the console's signed token (``Authorization: Bearer``), or a
    machine or partner with an API key (``X-API-Key``)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        if ctx.user_tokens is None:
            raise AuthError(401, "user tokens are not accepted here (no console public key configured)")
        return ctx.user_tokens.verify(token.strip())
    return ctx.keys.authenticate(request.headers.get("x-api-key"))


def require(*roles: Role, read: bool = False) -> Callable[[Request], Awaitable[Principal]]:
    """Dependency: authenticate the caller and check one of ``roles`` (auditors pass reads)."""

    async def dependency(request: Request) -> Principal:
        principal = authenticate(ctx_of(request), request)
        if not permits(principal, roles, read_only=read):
            raise AuthError(403, f"role(s) {', '.join(sorted(principal.roles))} may not do this")
        await reject_unstorable_text(request)
        request.state.principal = principal
        act_as(principal.name)  # every event this request appends names its actor
        return principal

    return dependency


def _unstorable(text: str) -> bool:
    """Text PostgreSQL cannot hold: a NUL character, or an unpaired surrogate (not UTF-8)."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unstorable_field(document: Any) -> str | None:
    """Where (``lines[0].sku``) the first unstorable string of a JSON document is, if any."""
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            if _unstorable(value):
                return where or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                here = f"{where}.{key}" if where else str(key)
                if _unstorable(str(key)):
                    return here
                pending.append((here, item))
        elif isinstance(value, list):
            pending.extend((f"{where}[{i}]", item) for i, item in enumerate(value))
    return None


def _json_body(request: Request) -> bool:
    """Whether FastAPI read this request's body as JSON (a JSON body parameter and a JSON
    content type): only such a body reaches the request model as a document."""
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return False
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def reject_unstorable_text(request: Request) -> None:
    """Refuse (422 ``invalid-character``, naming the field) text the database cannot store,
    wherever it comes in: path, query, headers or JSON body. Checked once the caller is
    authenticated, before the request model is validated."""
    inputs = [*request.path_params.items(), *request.query_params.multi_items(), *request.headers.items()]
    field = next((name for name, value in inputs if isinstance(value, str) and _unstorable(value)), None)
    if field is None and _json_body(request):
        try:
            field = _unstorable_field(await request.json())  # parsed (and cached) by FastAPI
        except (ValueError, RecursionError):
            pass  # not JSON after all: the request model refuses it
    if field is not None:
        raise InvalidInput(
            f"{field}: text may not contain NUL (U+0000) or unpaired surrogate characters",
            field=field,
            rule="invalid-character",
        )


def with_roles(*roles: Role, read: bool = False) -> Any:
    return Depends(require(*roles, read=read))


class RequestGuard:
    """Pure ASGI middleware: correlation id, body size limit, latency metric."""

    def __init__(self, app: ASGIApp, service: str, max_body: int) -> None:
        self.app = app
        self.service = service
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        correlation = headers.get(b"x-correlation-id", b"").decode(errors="ignore")[:100] or str(uuid.uuid4())
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _refuse_oversize(
                scope,
                receive,
                send,
                f"request body of {int(length)} bytes exceeds the limit of {self.max_body}",
            )
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _BodyTooLarge(self.max_body)
            return message

        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-correlation-id", correlation.encode()),
                ]
            await send(message)

        try:
            with message_context(correlation):
                await self.app(scope, limited_receive, send_wrapper)
        except _BodyTooLarge:
            await _refuse_oversize(scope, receive, send, f"request body exceeds the limit of {self.max_body}")
            status = 413
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            REQUEST_LATENCY.labels(self.service, scope["method"], path, str(status)).observe(
                time.perf_counter() - started
            )


class _BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once a streamed body passes the limit. An HTTPException, because
    FastAPI re-raises those while reading the body (any other error becomes a 400 "error parsing
    the body"); the problem handlers turn it into the 413 problem."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body exceeds the limit of {limit}")


async def _refuse_oversize(scope: Scope, receive: Receive, send: Send, detail: str) -> None:
    """Answer 413 with the same problem document the exception handlers produce."""
    await problem(413, "payload-too-large", "Payload too large", detail)(scope, receive, send)


def build_context(
    settings: ServiceSettings,
    *,
    engine: AsyncEngine | None = None,
    clock: Clock | None = None,
    keys: KeyRing | None = None,
) -> ServiceContext:
    """Everything a service's routes, consumers and jobs share."""
    the_engine = engine or make_engine(settings.resolved_database_url(), settings.db_pool_size)
    store = EventStore(settings.service_name)
    store.on_append.append(EVENTS_APPENDED.labels(settings.service_name).inc)
    return ServiceContext(
        settings=settings,
        engine=the_engine,
        store=store,
        clock=clock or SystemClock(settings.company_zone()),
        keys=keys if keys is not None else KeyRing.from_environment(settings.api_keys_file),
        kafka=settings.kafka(),
        user_tokens=UserTokenVerifier.from_file(settings.console_public_key_file),
    )


def create_service_app(
    ctx: ServiceContext,
    *,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    version: str = "1.0.0",
) -> FastAPI:
    """Build a service's FastAPI app with the platform's conventions."""
    settings = ctx.settings
    app = FastAPI(
        title=title,
        description=description,
        version=version,
        docs_url=None,  # served by install_docs, without a CDN
        redoc_url=None,
        responses={"default": {"description": "Problem details (RFC 9457)", "content": {PROBLEM_JSON: {}}}},
    )
    app.state.ctx = ctx
    install_docs(app)
    install_problem_handlers(app)
    app.add_middleware(RequestGuard, service=settings.service_name, max_body=settings.max_body_bytes)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service_name}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: the service's database reachable",
        responses={503: {"description": "not ready"}},
    )
    async def readyz() -> JSONResponse:
        # An API needs only its database to answer: while Kafka is down the outbox holds the
        # events of every write, so the API stays in service. Kafka is the worker's concern
        # (relay and consumers), reported by the worker's own /readyz.
        checks = {"database": await _db_ok(ctx.engine)}
        ready = all(checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
        )

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        try:
            async with asyncio.timeout(2), ctx.engine.connect() as conn:
                backlog = await outbox_backlog(await driver(conn))
            OUTBOX_BACKLOG.labels(settings.service_name).set(backlog)
        except Exception:  # metrics must answer even when the database does not
            pass
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    app.include_router(audit_router(with_roles(Role.ADMIN, read=True)))  # auditors pass reads
    return app


async def _db_ok(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(3):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


async def _kafka_ok(ctx: ServiceContext) -> bool:
    checked_at, ok = ctx._kafka_ok
    if time.monotonic() - checked_at < 2.0:
        return ok
    ok = await kafka_reachable(ctx.kafka, timeout=2.0)
    ctx._kafka_ok = (time.monotonic(), ok)
    return ok
