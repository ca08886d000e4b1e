"""``backoffice users add|list|disable``: the people who may log in to the console.

Talks to the console's own database (``CONSOLE_DATABASE_URL``, or ``DATABASE_URL``'s server
with the ``backoffice_console`` database), applying its migrations first, through the same
use cases the console's admin page uses (Argon2 hashes, the same password rules).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from backoffice_events.migrate import apply_migrations
from backoffice_platform.db import ensure_database, make_engine
from backoffice_platform.settings import database_url_for
from console_service.adapters.people import People
from console_service.domain.people import PeopleError
from console_service.service import DEFINITION
from console_service.service_layer.people import add_user

users = typer.Typer(help="People who log in to the console: add, list, disable.", no_args_is_help=True)
console = Console()


async def console_people() -> People:
    url = database_url_for("console")
    await ensure_database(url)
    engine = make_engine(url, 2)
    await apply_migrations(engine, DEFINITION.all_migrations())
    return People(engine)


@users.command("add")
def add(
    email: str,
    name: Annotated[str, typer.Option(help="the person's name, shown in the console")],
    role: Annotated[list[str], typer.Option("--role", help="a role (repeat for more), e.g. order_clerk")],
    locale: Annotated[str, typer.Option(help="how money is written for them, e.g. en_DK, de_DE")] = "en_DK",
) -> None:
    """Add a user; the password comes from CONSOLE_USER_PASSWORD or a hidden prompt."""
    password = os.environ.get("CONSOLE_USER_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )

    async def run() -> tuple[str, str]:
        people = await console_people()
        try:
            user = await add_user(
                people,
                email=email,
                name=name,
                roles=role,
                password=password,
                locale=locale,
                now=dt.datetime.now(dt.UTC),
            )
        finally:
            await people.engine.dispose()
        return user.user_id, user.email

    try:
        user_id, address = asyncio.run(run())
    except PeopleError as exc:
        console.print(f"[red]{exc.field}: {exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"added {address} ({user_id})")


@users.command("list")
def list_users() -> None:
    """Every user with roles and status."""

    async def run() -> list[list[str]]:
        people = await console_people()
        try:
            found = await people.users()
        finally:
            await people.engine.dispose()
        return [
            [u.email, u.name, ", ".join(sorted(u.roles)), "active" if u.active else "disabled"] for u in found
        ]

    table = Table(title="Console users")
    for col in ("e-mail", "name", "roles", "status"):
        table.add_column(col)
    for row in asyncio.run(run()):
        table.add_row(*row)
    console.print(table)


@users.command("disable")
def disable(email: str) -> None:
    """Disable a user: they cannot log in, and their open sessions end at once."""

    async def run() -> bool:
        people = await console_people()
        try:
            return await people.disable_by_email(email.strip().lower())
        finally:
            await people.engine.dispose()

    if not asyncio.run(run()):
        console.print(f"[red]no user {email}[/red]")
        raise typer.Exit(1)
    console.print(f"disabled {email}")
