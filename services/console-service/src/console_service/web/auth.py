"""Logging in and out, the home page, and changing one's password."""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..domain.people import PeopleError
from ..service_layer.people import LoginRefused, change_password, log_in
from .core import LOGIN_COOKIE, SESSION_COOKIE, Visit, console_of, current_visit, form_of, render

router = APIRouter(include_in_schema=False)


def _cookie(response: Response, name: str, value: str, max_age: int) -> None:
    # Secure + HttpOnly + SameSite=Strict: never sent over plain HTTP to another host, never
    # readable by scripts, never sent on a cross-site request.
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="strict")


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    nonce = secrets.token_urlsafe(24)
    response = render(request, "login.html", login_csrf=nonce)
    _cookie(response, LOGIN_COOKIE, nonce, 1800)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    console = console_of(request)
    # Before a session exists, the login form's token is checked against its own cookie.
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return render(
            request,
            "error.html",
            status_code=403,
            title="Form refused",
            detail="The form's CSRF token is missing or wrong.",
        )
    address = request.client.host if request.client else "unknown"
    try:
        done = await log_in(
            console.people,
            console.policy,
            email=email,
            password=password,
            address=address,
            now=console.now(),
            session_lifetime=dt.timedelta(hours=console.settings.session_hours),
        )
    except LoginRefused as refused:
        nonce = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            status_code=refused.status,
            login_csrf=nonce,
            email=email,
            failure=str(refused),
        )
        _cookie(response, LOGIN_COOKIE, nonce, 1800)
        return response
    redirect = RedirectResponse("/", status_code=303)
    _cookie(redirect, SESSION_COOKIE, done.session_token, console.settings.session_hours * 3600)
    redirect.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return redirect


@router.post("/logout")
async def logout(
    request: Request,
    visit: Annotated[Visit, Depends(current_visit)],
    _form: Annotated[dict[str, str], Depends(form_of)],
) -> Response:
    # The row goes, so the same cookie presented again opens nothing.
    await visit.console.people.end_session(visit.session_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, visit: Annotated[Visit, Depends(current_visit)]) -> Response:
    return render(request, "home.html", visit)


@router.get("/account/password", response_class=HTMLResponse)
async def password_page(request: Request, visit: Annotated[Visit, Depends(current_visit)]) -> Response:
    return render(request, "account/password.html", visit)


@router.post("/account/password", response_class=HTMLResponse)
async def password_change(
    request: Request,
    visit: Annotated[Visit, Depends(current_visit)],
    form: Annotated[dict[str, str], Depends(form_of)],
) -> Response:
    try:
        await change_password(
            visit.console.people,
            visit.user,
            current=form.get("current_password", ""),
            new=form.get("new_password", ""),
            session_token=visit.session_token,
            now=visit.console.now(),
        )
    except PeopleError as exc:
        return render(request, "account/password.html", visit, status_code=422, errors={exc.field: str(exc)})
    return render(request, "account/password.html", visit, notice="Your password is changed.")
