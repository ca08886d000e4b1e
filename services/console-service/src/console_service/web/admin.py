"""The admin's desk: people who may log in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from backoffice_platform.user_tokens import USER_ROLES

from ..domain.people import Desk, PeopleError
from ..service_layer.people import add_user
from .core import Visit, at_desk, form_of, render

router = APIRouter(prefix="/admin", include_in_schema=False)
ROLE_CHOICES = sorted(r.value for r in USER_ROLES if r.value != "partner")


async def _page(request: Request, visit: Visit, status: int = 200, **extra: object) -> Response:
    users = await visit.console.people.users()
    return render(
        request, "admin/users.html", visit, status_code=status, users=users, roles=ROLE_CHOICES, **extra
    )


@router.get("/users", response_class=HTMLResponse)
async def users(request: Request, visit: Annotated[Visit, at_desk(Desk.ADMIN)]) -> Response:
    return await _page(request, visit)


@router.post("/users", response_class=HTMLResponse)
async def add(
    request: Request,
    visit: Annotated[Visit, at_desk(Desk.ADMIN)],
    form: Annotated[dict[str, str], Depends(form_of)],
) -> Response:
    submitted = await request.form()
    roles = [str(r) for r in submitted.getlist("roles")]
    try:
        await add_user(
            visit.console.people,
            email=form.get("email", ""),
            name=form.get("name", ""),
            roles=roles,
            password=form.get("password", ""),
            locale=form.get("locale") or visit.console.settings.default_locale,
            now=visit.console.now(),
        )
    except PeopleError as exc:
        return await _page(request, visit, status=422, errors={exc.field: str(exc)}, form=form, chosen=roles)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/users/{user_id}/{action}")
async def activate(
    user_id: str,
    action: str,
    visit: Annotated[Visit, at_desk(Desk.ADMIN)],
    _form: Annotated[dict[str, str], Depends(form_of)],
) -> Response:
    if action in ("disable", "enable"):
        await visit.console.people.set_active(user_id, action == "enable")
    return RedirectResponse("/admin/users", status_code=303)
