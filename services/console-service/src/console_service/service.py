"""The console as the platform runs it: a FastAPI app of server-rendered pages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backoffice_events.migrate import package_migrations
from backoffice_platform.app import ServiceContext, create_service_app
from backoffice_platform.runtime import ServiceDefinition
from backoffice_platform.user_tokens import load_private_key

from .adapters.people import People
from .adapters.services import ApiProblem
from .domain.people import LoginPolicy
from .settings import ConsoleSettings
from .web import accounting, admin, auth, orders, support
from .web.core import PACKAGE, Console, CsrfRefused, NotLoggedIn, PageForbidden, render, security_headers

VENDOR = PACKAGE / "static" / "vendor"


def _console(ctx: ServiceContext) -> Console:
    settings = ctx.settings
    assert isinstance(settings, ConsoleSettings)
    if not settings.console_private_key_file:
        raise SystemExit("CONSOLE_PRIVATE_KEY_FILE is not set: the console cannot sign user tokens")
    return Console(
        settings=settings,
        people=People(ctx.engine),
        policy=LoginPolicy(
            max_failures=settings.login_max_failures,
            lockout=dt.timedelta(minutes=settings.login_lockout_minutes),
            failures_per_address=settings.login_failures_per_address,
        ),
        signing_key=load_private_key(settings.console_private_key_file),
        http=httpx.AsyncClient(timeout=settings.service_timeout_seconds),
        templates=Jinja2Templates(directory=str(PACKAGE / "templates")),
        zone=ZoneInfo(settings.company_time_zone),
        clock=ctx.clock,
    )


class SecurityHeaders:
    """Pure ASGI middleware: the console's security headers on every answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response = Response()
                security_headers(response)
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *[
                        (k, v)
                        for k, v in response.raw_headers
                        if k.lower() not in present and k != b"content-length"
                    ],
                ]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


def create_app(ctx: ServiceContext) -> FastAPI:
    ctx.extras["console"] = _console(ctx)
    app = create_service_app(
        ctx,
        title="Backoffice console",
        description="The clerks' web console: server-rendered desks over the services' HTTP APIs.",
        routers=[
            auth.router,
            admin.router,
            orders.router,
            orders.stock_router,
            accounting.router,
            support.router,
        ],
    )
    if not (VENDOR / "htmx.min.js").exists():
        raise SystemExit(
            f"{VENDOR}/htmx.min.js is missing: run deploy/local/console-assets.sh (make venv does)"
        )
    app.mount("/static", StaticFiles(directory=str(PACKAGE / "static")), name="static")
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(NotLoggedIn)
    async def to_login(request: Request, _exc: NotLoggedIn) -> Response:
        if request.headers.get("hx-request"):  # htmx follows this header, not a 303
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(PageForbidden)
    async def forbidden(request: Request, exc: PageForbidden) -> HTMLResponse:
        return render(request, "error.html", status_code=403, title="Not for your role", detail=exc.detail)

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, _exc: CsrfRefused) -> HTMLResponse:
        return render(
            request,
            "error.html",
            status_code=403,
            title="Form refused",
            detail="The form's CSRF token is missing or wrong. Reload the page and try again.",
        )

    @app.exception_handler(ApiProblem)
    async def service_problem(request: Request, exc: ApiProblem) -> HTMLResponse:
        status = exc.status if exc.status in (403, 404, 409, 503) else 502
        return render(
            request,
            "error.html",
            status_code=status,
            title=str(exc.problem.get("title", "Error")),
            detail=exc.message,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith(("/healthz", "/readyz", "/metrics", "/docs", "/openapi")):
            from backoffice_platform.problems import problem

            return problem(exc.status_code, "http-error", str(exc.detail), str(exc.detail))
        return render(
            request, "error.html", status_code=exc.status_code, title="Error", detail=str(exc.detail)
        )

    return app


DEFINITION = ServiceDefinition(
    name="console",
    title="Console",
    migrations=package_migrations("console_service", "console_service"),
    create_app=create_app,
    settings_type=ConsoleSettings,
)
