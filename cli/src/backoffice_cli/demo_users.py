"""The demo company's people: one console login per role, made once by `make run`."""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from dataclasses import dataclass

from console_service.domain.people import PeopleError
from console_service.service_layer.people import add_user

from .local import LOCAL
from .users import console_people

# Who does what in the demo company: one login per role, a few with a second role their
# flow needs. The order clerk also reads invoices (billing lets only billing clerks do that),
# the payables clerk may also approve, but never her own bills: the approver approves them.
DEMO_PEOPLE: dict[str, tuple[str, list[str]]] = {
    "order_clerk": ("Olga Order", ["billing_clerk"]),
    "sales_rep": ("Sven Sales", []),
    "support_agent": ("Sam Service", []),
    "billing_clerk": ("Bea Billing", []),
    "payables_clerk": ("Pia Payables", ["approver"]),
    "approver": ("Arne Approver", []),
    "accountant": ("Ada Accountant", []),
    "auditor": ("Aud Auditor", []),
    "admin": ("Adam Admin", []),
}
PASSWORD_FILE = LOCAL / "console-demo-password"


@dataclass(frozen=True)
class DemoLogins:
    password: str
    emails: dict[str, str]


def demo_password() -> str:
    """One random password for the demo logins, kept (0600) under .local/."""
    if PASSWORD_FILE.exists():
        return PASSWORD_FILE.read_text().strip()
    password = f"demo-{secrets.token_urlsafe(9)}"
    PASSWORD_FILE.write_text(password)
    PASSWORD_FILE.chmod(0o600)
    return password


def ensure_demo_users() -> DemoLogins:
    password = demo_password()
    emails = {role: f"{role.replace('_', '.')}@demo.example" for role in DEMO_PEOPLE}

    async def run() -> None:
        people = await console_people()
        try:
            for role, (name, also) in DEMO_PEOPLE.items():
                try:
                    await add_user(
                        people,
                        email=emails[role],
                        name=name,
                        roles=[role, *also],
                        password=password,
                        locale="en_DK",
                        now=dt.datetime.now(dt.UTC),
                    )
                except PeopleError as exc:
                    if exc.rule != "email-taken":  # already there from an earlier run
                        raise
        finally:
            await people.engine.dispose()

    asyncio.run(run())
    return DemoLogins(password, emails)
