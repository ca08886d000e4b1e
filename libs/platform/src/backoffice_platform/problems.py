"""RFC 9457 problem responses for every error kind."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backoffice_events.money import MoneyError
from backoffice_events.store import ConcurrencyError

from .auth import AuthError
from .errors import PROBLEM_BASE, DomainError
from .unavailable import RETRY_AFTER_SECONDS, database_unavailable

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"
NUMERIC_VALUE_OUT_OF_RANGE = "22003"  # SQLSTATE


def problem(
    status: int, kind: str, title: str, detail: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def database_unavailable_problem(request: Request, exc: BaseException) -> JSONResponse:
    """503 ``database-unavailable`` with ``Retry-After``: PostgreSQL could not be reached."""
    log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
    resp = problem(
        503,
        "database-unavailable",
        "Database unavailable",
        "the database cannot be reached right now; nothing was written, retry later",
        request.url.path,
        rule="database-unavailable",
    )
    resp.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return resp


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (("." if out else "") + p)
    return out or ".".join(str(p) for p in loc)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem(
            exc.status,
            exc.rule or exc.kind,
            exc.title,
            exc.detail,
            request.url.path,
            field=exc.field,
            rule=exc.rule,
            **exc.extra,
        )

    @app.exception_handler(MoneyError)
    async def _money(request: Request, exc: MoneyError) -> JSONResponse:
        return problem(
            422,
            "invalid-money",
            "Invalid money",
            str(exc),
            request.url.path,
            field=exc.field,
            rule="invalid-money",
        )

    @app.exception_handler(ConcurrencyError)
    async def _conflict(request: Request, exc: ConcurrencyError) -> JSONResponse:
        return problem(
            409,
            "concurrent-modification",
            "Concurrent modification",
            f"{exc}; reload and retry",
            request.url.path,
            rule="concurrent-modification",
        )

    @app.exception_handler(AuthError)
    async def _auth(request: Request, exc: AuthError) -> JSONResponse:
        kind = "unauthenticated" if exc.status == 401 else "forbidden"
        resp = problem(
            exc.status,
            kind,
            "Unauthorized" if exc.status == 401 else "Forbidden",
            exc.detail,
            request.url.path,
        )
        if exc.status == 401:
            resp.headers["WWW-Authenticate"] = "ApiKey header=X-API-Key"
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                return problem(
                    400,
                    "malformed-json",
                    "Malformed JSON",
                    f"request body is not valid JSON: {err.get('msg')}",
                    request.url.path,
                    rule="malformed-json",
                )
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            errors.append(
                {"field": _loc(err.get("loc", ())), "rule": err.get("type", "invalid"), "message": msg}
            )
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return problem(
            422,
            "validation-error",
            "Invalid input",
            f"{first['field']}: {first['message']}",
            request.url.path,
            field=first["field"],
            rule=first.get("rule"),
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {
            404: "not-found",
            405: "method-not-allowed",
            413: "payload-too-large",
            415: "unsupported-media-type",
            406: "not-acceptable",
        }
        kind = kinds.get(exc.status_code, f"http-{exc.status_code}")
        resp = problem(
            exc.status_code, kind, kind.replace("-", " ").capitalize(), str(exc.detail), request.url.path
        )
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # Request models bound what a client may enter; a total computed from entered values
        # (cash on account, a bill's sum, stock on hand) can still outgrow its numeric column.
        # PostgreSQL refuses it and the transaction rolls back: the request cannot be processed.
        if database_unavailable(exc):
            return database_unavailable_problem(request, exc)
        if getattr(exc.orig, "sqlstate", None) != NUMERIC_VALUE_OUT_OF_RANGE:
            raise exc
        log.warning("value out of range on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            422,
            "value-out-of-range",
            "Value out of range",
            "a resulting amount or count would be larger than can be stored; nothing was written",
            request.url.path,
            rule="value-out-of-range",
        )

    @app.exception_handler(OSError)
    @app.exception_handler(PoolTimeoutError)
    async def _unreachable(request: Request, exc: Exception) -> JSONResponse:
        # Handled here (not only by the catch-all below) so the request metrics see the 503.
        if database_unavailable(exc):
            return database_unavailable_problem(request, exc)
        raise exc

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):  # a connection refused, lost or timed out in the pool
            return database_unavailable_problem(request, exc)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(
            500,
            "internal-error",
            "Internal error",
            "the request failed unexpectedly; nothing was written",
            request.url.path,
        )
