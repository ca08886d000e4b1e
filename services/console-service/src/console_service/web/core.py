"""What every page shares: the console's state, the visitor's session, CSRF, rendering."""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from backoffice_platform.app import ServiceContext, ctx_of
from backoffice_platform.clock import Clock

from ..adapters.people import People, Session
from ..adapters.services import BillingApi, LedgerApi, OrderApi, Services, SupportApi
from ..domain.people import Desk, LoginPolicy, User
from ..formats import money, safe_locale, when
from ..settings import ConsoleSettings
from ..tokens import token_for

PACKAGE = Path(__file__).resolve().parents[1]
SESSION_COOKIE = "__Host-bo_session"  # __Host-: Secure, path=/, no Domain, so no sub-domain can set it
LOGIN_COOKIE = "__Host-bo_login"


@dataclass
class Console:
    """The console's long-lived parts, on ``ctx.extras["console"]``."""

    settings: ConsoleSettings
    people: People
    policy: LoginPolicy
    signing_key: Ed25519PrivateKey
    http: httpx.AsyncClient
    templates: Jinja2Templates
    zone: ZoneInfo
    clock: Clock
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def services(self, user: User) -> Services:
        # Wall-clock time, not the business clock: the services check the token against it.
        wall = dt.datetime.now(dt.UTC)
        token = token_for(user, self.signing_key, wall, self.settings.user_token_minutes)
        s = self.settings
        return Services(
            orders=OrderApi(s.order_api_url, self.http, token),
            billing=BillingApi(s.billing_api_url, self.http, token),
            ledger=LedgerApi(s.ledger_api_url, self.http, token),
            support=SupportApi(s.support_api_url, self.http, token),
        )


def console_of(request: Request) -> Console:
    ctx: ServiceContext = ctx_of(request)
    found: Console = ctx.extras["console"]
    return found


class NotLoggedIn(Exception):
    """No live session: the visitor goes to the login page."""


class PageForbidden(Exception):
    """The user's roles do not open this page (403 page)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class Visit:
    """One request of a logged-in user."""

    user: User
    session: Session
    session_token: str
    console: Console

    @property
    def services(self) -> Services:
        return self.console.services(self.user)


async def current_visit(request: Request) -> Visit:
    console = console_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    session = await console.people.session(token, console.now()) if token else None
    if session is None or token is None:
        raise NotLoggedIn()
    return Visit(session.user, session, token, console)


def at_desk(desk: Desk) -> Any:
    """Dependency: a logged-in user whose roles open ``desk``."""

    async def dependency(visit: Visit = Depends(current_visit)) -> Visit:
        if not visit.user.may_open(desk):
            raise PageForbidden(
                f"Your roles ({', '.join(sorted(visit.user.roles))}) do not open the {desk} desk."
            )
        return visit

    return Depends(dependency)


class CsrfRefused(Exception):
    """A form came without the session's CSRF token or with a wrong one (403)."""


async def form_of(request: Request, visit: Visit = Depends(current_visit)) -> dict[str, str]:
    """The submitted form, once its CSRF token matches the session's (field or htmx header)."""
    form = await request.form()
    sent = str(form.get("csrf_token") or request.headers.get("x-csrf-token") or "")
    if not sent or not hmac.compare_digest(sent, visit.session.csrf_token):
        raise CsrfRefused()
    return {k: str(v) for k, v in form.multi_items() if isinstance(v, str)}


def render(
    request: Request, template: str, visit: Visit | None = None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    console = console_of(request)
    locale = safe_locale(visit.user.locale if visit else console.settings.default_locale)
    response: HTMLResponse = console.templates.TemplateResponse(
        request,
        template,
        {
            "visit": visit,
            "user": visit.user if visit else None,
            "csrf": visit.session.csrf_token if visit else "",
            "desks": visit.user.desks() if visit else [],
            "money": lambda value: money(value, locale),
            "when": lambda value: when(value, console.zone),
            "zone": console.settings.company_time_zone,
            "errors": {},
            **context,
        },
        status_code=status_code,
    )
    return response


def security_headers(response: Response) -> None:
    """Everything is served by the console itself, so the policy can forbid anything else."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
