"""Use cases about people: add a user, log in (with throttling and lock-out), change a password."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ..adapters.passwords import hash_password, verify_password
from ..adapters.people import People
from ..domain.people import (
    LoginPolicy,
    PeopleError,
    User,
    check_password,
    normalise_email,
    parse_roles,
)


class LoginRefused(Exception):
    """Why a login failed; the page says only as much as is safe to say."""

    def __init__(self, message: str, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LoggedIn:
    user: User
    session_token: str


async def add_user(
    people: People,
    *,
    email: str,
    name: str,
    roles: Iterable[str],
    password: str,
    locale: str,
    now: dt.datetime,
) -> User:
    address = normalise_email(email)
    if not name.strip():
        raise PeopleError("a name is required", "name", "name-required")
    parsed = parse_roles(roles)
    check_password(password, email=address)
    return await people.add_user(
        email=address,
        name=name.strip(),
        roles=parsed,
        locale=locale,
        password_hash=hash_password(password),
        now=now,
    )


async def log_in(
    people: People,
    policy: LoginPolicy,
    *,
    email: str,
    password: str,
    address: str,
    now: dt.datetime,
    session_lifetime: dt.timedelta,
) -> LoggedIn:
    """Check the password; count failures per account (lock-out) and per address (throttle)."""
    email = email.strip().lower()
    refusal: LoginRefused | None = None
    token = ""
    # The failure records must commit, so the refusal is raised after the transaction.
    async with people.engine.begin() as conn:
        since = now - dt.timedelta(minutes=15)
        if policy.address_throttled(await people.recent_failures(conn, address, since)):
            raise LoginRefused("too many failed logins from your address; try again later", 429)
        found = await people.credentials(conn, email)
        user, stored = found if found else (None, None)
        good = verify_password(stored, password)  # runs even for unknown e-mails: same timing
        if user is not None and user.locked(now):
            refusal = LoginRefused(
                "this account is locked after too many failed logins; try again later", 423
            )
        elif user is None or not good or not user.active:
            refusal = LoginRefused("wrong e-mail or password")
            if user is not None and not good:
                failed, until = policy.after_failure(user.failed_logins, now)
                await people.record_failure(conn, user.user_id, failed, until)
        await people.record_attempt(conn, email, address, now, succeeded=refusal is None)
        if refusal is None and user is not None:
            token = await people.open_session(conn, user.user_id, now, session_lifetime)
    if refusal is not None or user is None:
        raise refusal or LoginRefused("wrong e-mail or password")
    return LoggedIn(user, token)


async def change_password(
    people: People, user: User, *, current: str, new: str, session_token: str, now: dt.datetime
) -> None:
    if not verify_password(await people.password_hash(user.user_id), current):
        raise PeopleError("the current password is wrong", "current_password", "wrong-password")
    try:
        check_password(new, email=user.email)
    except PeopleError as exc:
        raise PeopleError(str(exc), "new_password", exc.rule) from exc
    await people.set_password(user.user_id, hash_password(new), now, keep=session_token)
