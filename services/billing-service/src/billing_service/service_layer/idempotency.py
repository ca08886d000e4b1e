"""Idempotency-Key handling for use cases: claim the key first in the write transaction, remember
the answer before commit, so a retry gets the first answer and records nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_platform.idempotency import IdempotentReplay, claim_key, store_response

T = TypeVar("T")


@dataclass(frozen=True)
class Idempotency(Generic[T]):
    """A request's Idempotency-Key, its body (the fingerprint) and how its answer is rendered."""

    scope: str
    key: str | None
    request: Any
    render: Callable[[T], Any]
    status: int = 201

    async def claim(self, conn: AsyncConnection) -> IdempotentReplay | None:
        """The first answer if this key was used before with the same body (``Conflict`` if not)."""
        return await claim_key(conn, self.scope, self.key, self.request)

    async def remember(self, conn: AsyncConnection, result: T) -> None:
        """Store the answer in the caller's transaction."""
        if self.key is not None:
            await store_response(conn, self.scope, self.key, self.status, self.render(result))


async def claim(conn: AsyncConnection, idempotency: Idempotency[T] | None) -> IdempotentReplay | None:
    return None if idempotency is None else await idempotency.claim(conn)


async def remember(conn: AsyncConnection, idempotency: Idempotency[T] | None, result: T) -> None:
    if idempotency is not None:
        await idempotency.remember(conn, result)
