"""People who log in, and which desks their roles open. Pure rules, no I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from backoffice_platform.auth import Role
from backoffice_platform.user_tokens import USER_ROLES

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 12


class Desk(StrEnum):
    ORDERS = "orders"
    ACCOUNTING = "accounting"
    SERVICE = "service"
    ADMIN = "admin"


# Who may open a desk. The services still decide every action; this only spares a clerk
# pages they could not use. Admins open everything; auditors read every desk.
DESK_ROLES: dict[Desk, frozenset[Role]] = {
    Desk.ORDERS: frozenset({Role.ORDER_CLERK, Role.SALES_REP, Role.AUDITOR}),
    Desk.ACCOUNTING: frozenset(
        {Role.BILLING_CLERK, Role.PAYABLES_CLERK, Role.APPROVER, Role.ACCOUNTANT, Role.AUDITOR}
    ),
    Desk.SERVICE: frozenset({Role.SUPPORT_AGENT, Role.AUDITOR}),
    Desk.ADMIN: frozenset(),
}


class PeopleError(ValueError):
    """A rule about people was broken; ``field`` names the form field."""

    def __init__(self, message: str, field: str, rule: str) -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule


@dataclass(frozen=True)
class User:
    user_id: str
    email: str
    name: str
    roles: frozenset[Role]
    locale: str
    active: bool
    failed_logins: int = 0
    locked_until: dt.datetime | None = None

    def may_open(self, desk: Desk) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles & DESK_ROLES[desk])

    def desks(self) -> list[Desk]:
        return [desk for desk in Desk if self.may_open(desk)]

    def locked(self, now: dt.datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not EMAIL.match(email):
        raise PeopleError("not an e-mail address", "email", "invalid-email")
    return email


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    roles: set[Role] = set()
    for value in values:
        if value not in {r.value for r in USER_ROLES}:
            raise PeopleError(f"unknown role {value!r}", "roles", "unknown-role")
        roles.add(Role(value))
    if not roles:
        raise PeopleError("a user needs at least one role", "roles", "role-required")
    if Role.PARTNER in roles:
        raise PeopleError("partners use API keys, not the console", "roles", "partner-not-a-user")
    return frozenset(roles)


def check_password(password: str, *, email: str) -> None:
    """A password a clerk can remember and an attacker cannot guess quickly."""
    if len(password) < MIN_PASSWORD:
        raise PeopleError(
            f"a password needs at least {MIN_PASSWORD} characters", "password", "password-too-short"
        )
    if password.lower() == email.lower() or password.lower() in email.lower():
        raise PeopleError("a password may not be the e-mail address", "password", "password-is-email")


@dataclass(frozen=True)
class LoginPolicy:
    """Lock-out after ``max_failures`` failed logins in a row; throttle per address."""

    max_failures: int
    lockout: dt.timedelta
    failures_per_address: int

    def after_failure(self, failed_logins: int, now: dt.datetime) -> tuple[int, dt.datetime | None]:
        """The counter after one more failure, and until when the account is locked."""
        failed = failed_logins + 1
        return failed, (now + self.lockout if failed >= self.max_failures else None)

    def address_throttled(self, recent_failures: int) -> bool:
        return recent_failures >= self.failures_per_address
