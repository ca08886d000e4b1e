"""The console's own tables: users, sessions, login attempts (bound parameters only)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from backoffice_platform.auth import Role

from ..domain.people import PeopleError, User


def _user(row: Any) -> User:
    return User(
        user_id=row.user_id,
        email=row.email,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles),
        locale=row.locale,
        active=row.active,
        failed_logins=row.failed_logins,
        locked_until=row.locked_until,
    )


# The SQL below spells the user columns out literally: no query is ever built from strings.


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: dt.datetime


class People:
    """Users, their sessions and login attempts in the console's database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def add_user(
        self,
        *,
        email: str,
        name: str,
        roles: frozenset[Role],
        locale: str,
        password_hash: str,
        now: dt.datetime,
    ) -> User:
        user_id = f"usr-{uuid.uuid4().hex[:12]}"
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO console_users (user_id, email, name, roles, locale, password_hash,"
                        " created_at, password_changed_at)"
                        " VALUES (:id, :email, :name, :roles, :locale, :hash, :now, :now)"
                    ),
                    {
                        "id": user_id,
                        "email": email,
                        "name": name,
                        "roles": sorted(r.value for r in roles),
                        "locale": locale,
                        "hash": password_hash,
                        "now": now,
                    },
                )
        except IntegrityError as exc:
            raise PeopleError("a user with this e-mail exists", "email", "email-taken") from exc
        return User(user_id, email, name, roles, locale, True)

    async def users(self) -> list[User]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT user_id, email, name, roles, locale, active, failed_logins, locked_until"
                    " FROM console_users ORDER BY email"
                )
            )
            return [_user(r) for r in rows]

    async def user(self, user_id: str) -> User | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT user_id, email, name, roles, locale, active, failed_logins, locked_until"
                        " FROM console_users WHERE user_id = :id"
                    ),
                    {"id": user_id},
                )
            ).first()
            return _user(row) if row else None

    async def credentials(self, conn: AsyncConnection, email: str) -> tuple[User, str] | None:
        """The user and password hash for ``email``, locked for the login's transaction."""
        row = (
            await conn.execute(
                text(
                    "SELECT user_id, email, name, roles, locale, active, failed_logins, locked_until,"
                    " password_hash FROM console_users WHERE email = :email FOR UPDATE"
                ),
                {"email": email},
            )
        ).first()
        return (_user(row), row.password_hash) if row else None

    async def password_hash(self, user_id: str) -> str | None:
        async with self.engine.connect() as conn:
            found = await conn.execute(
                text("SELECT password_hash FROM console_users WHERE user_id = :id"), {"id": user_id}
            )
            value = found.scalar()
            return str(value) if value is not None else None

    async def set_password(self, user_id: str, password_hash: str, now: dt.datetime, keep: str) -> None:
        """New password; every other session of the user ends (``keep`` is the current one)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE console_users SET password_hash = :hash, password_changed_at = :now,"
                    " failed_logins = 0, locked_until = NULL WHERE user_id = :id"
                ),
                {"hash": password_hash, "now": now, "id": user_id},
            )
            await conn.execute(
                text("DELETE FROM console_sessions WHERE user_id = :id AND token_sha256 <> :keep"),
                {"id": user_id, "keep": _digest(keep)},
            )

    async def set_active(self, user_id: str, active: bool) -> bool:
        async with self.engine.begin() as conn:
            found = await conn.execute(
                text("UPDATE console_users SET active = :active WHERE user_id = :id RETURNING user_id"),
                {"active": active, "id": user_id},
            )
            if not active:  # a disabled user is logged out everywhere at once
                await conn.execute(text("DELETE FROM console_sessions WHERE user_id = :id"), {"id": user_id})
            return found.first() is not None

    async def disable_by_email(self, email: str) -> bool:
        async with self.engine.connect() as conn:
            found = await conn.execute(
                text("SELECT user_id FROM console_users WHERE email = :email"), {"email": email}
            )
            user_id = found.scalar()
        return user_id is not None and await self.set_active(str(user_id), False)

    # -- login attempts ---------------------------------------------------------------------

    async def recent_failures(self, conn: AsyncConnection, address: str, since: dt.datetime) -> int:
        found = await conn.execute(
            text(
                "SELECT count(*) FROM console_login_attempts"
                " WHERE address = :address AND at >= :since AND NOT succeeded"
            ),
            {"address": address, "since": since},
        )
        return int(found.scalar() or 0)

    async def record_attempt(
        self, conn: AsyncConnection, email: str, address: str, now: dt.datetime, succeeded: bool
    ) -> None:
        await conn.execute(
            text(
                "INSERT INTO console_login_attempts (email, address, at, succeeded)"
                " VALUES (:email, :address, :now, :ok)"
            ),
            {"email": email, "address": address, "now": now, "ok": succeeded},
        )

    async def record_failure(
        self, conn: AsyncConnection, user_id: str, failed: int, locked_until: dt.datetime | None
    ) -> None:
        await conn.execute(
            text("UPDATE console_users SET failed_logins = :n, locked_until = :until WHERE user_id = :id"),
            {"n": failed, "until": locked_until, "id": user_id},
        )

    # -- sessions ---------------------------------------------------------------------------

    async def open_session(
        self, conn: AsyncConnection, user_id: str, now: dt.datetime, lifetime: dt.timedelta
    ) -> str:
        """A new session; returns the cookie value (only its SHA-256 is stored)."""
        token = secrets.token_urlsafe(32)
        # Expired sessions open nothing already; sweeping them here keeps the table small.
        await conn.execute(text("DELETE FROM console_sessions WHERE expires_at <= :now"), {"now": now})
        await conn.execute(
            text("UPDATE console_users SET failed_logins = 0, locked_until = NULL WHERE user_id = :id"),
            {"id": user_id},
        )
        await conn.execute(
            text(
                "INSERT INTO console_sessions (token_sha256, user_id, csrf_token, created_at, expires_at)"
                " VALUES (:digest, :user, :csrf, :now, :expires)"
            ),
            {
                "digest": _digest(token),
                "user": user_id,
                "csrf": secrets.token_urlsafe(32),
                "now": now,
                "expires": now + lifetime,
            },
        )
        return token

    async def session(self, token: str, now: dt.datetime) -> Session | None:
        """The live session of an active user for this cookie value, if any."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT u.user_id, u.email, u.name, u.roles, u.locale, u.active, u.failed_logins,"
                        " u.locked_until, s.csrf_token, s.expires_at FROM console_sessions s"
                        " JOIN console_users u USING (user_id)"
                        " WHERE s.token_sha256 = :digest AND s.expires_at > :now AND u.active"
                    ),
                    {"digest": _digest(token), "now": now},
                )
            ).first()
        return Session(_user(row), row.csrf_token, row.expires_at) if row else None

    async def end_session(self, token: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                text("DELETE FROM console_sessions WHERE token_sha256 = :digest"), {"digest": _digest(token)}
            )
