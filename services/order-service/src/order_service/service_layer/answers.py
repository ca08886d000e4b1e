"""Answers of write commands, and replaying them for a repeated ``Idempotency-Key``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_platform.errors import PROBLEM_BASE
from backoffice_platform.idempotency import claim_key, store_response


@dataclass(frozen=True)
class Answer:
    """The HTTP answer a command produced: status and JSON body (a problem when status >= 400).

    ``version`` is the aggregate version for the ETag (of the first answer, when replayed).
    """

    status: int
    body: dict[str, Any]
    version: int | None = None
    replayed: bool = False


@dataclass(frozen=True)
class Idempotency:
    """An ``Idempotency-Key`` (None: none sent), the scope it is unique in and the request."""

    scope: str
    key: str | None
    request: Any


NO_KEY = Idempotency("", None, None)


async def answer_once(
    conn: AsyncConnection, idempotency: Idempotency, work: Callable[[], Awaitable[Answer]]
) -> Answer:
    """Run ``work`` unless the key was used before: then replay its first answer.

    Both the key and the answer are written in the caller's transaction, so a retry sees
    either the whole first outcome or nothing. The same key with a different request is a
    409 ``idempotency-key-reused``.
    """
    scope, key = idempotency.scope, idempotency.key
    replay = await claim_key(conn, scope, key, idempotency.request)
    if replay is not None:
        return Answer(replay.status, replay.body, version=_version_of(replay.body), replayed=True)
    answer = await work()
    await store_response(conn, scope, key, answer.status, answer.body)
    return answer


def _version_of(body: Any) -> int | None:
    if isinstance(body, dict):
        for candidate in (body.get("version"), (body.get("order") or {}).get("version")):
            if isinstance(candidate, int):
                return candidate
    return None


def problem_body(
    status: int, rule: str, title: str, detail: str, *, field: str | None = None, **extra: Any
) -> dict[str, Any]:
    """An RFC 9457 problem body like the platform's error handler writes."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + rule, "title": title, "status": status, "detail": detail}
    if field is not None:
        body["field"] = field
    body["rule"] = rule
    body.update(extra)
    return body
