"""Idempotency-Key handling inside the caller's transaction.

The key row is inserted first; a concurrent request with the same key blocks on it until
the first commits, then replays the stored response. The response is stored in the same
transaction as the writes, so either both exist or neither does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.store import driver

from .errors import Conflict, InvalidInput


@dataclass
class IdempotentReplay:
    status: int
    body: Any


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


async def claim_key(conn: AsyncConnection, scope: str, key: str | None, body: Any) -> IdempotentReplay | None:
    """Claim ``key`` for this request. Returns the first answer if the key was used before
    with the same body; raises ``Conflict`` if it was used with a different body."""
    if key is None:
        return None
    if not 1 <= len(key) <= 200:
        raise InvalidInput(
            "Idempotency-Key must be 1-200 characters",
            field="Idempotency-Key",
            rule="idempotency-key-invalid",
        )
    fingerprint = request_fingerprint(body)
    db = await driver(conn)
    claimed = await db.fetchval(
        "INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        scope,
        key,
        fingerprint,
    )
    if claimed:
        return None
    row = await db.fetchrow(
        "SELECT request_hash, status, response::text AS response FROM idempotency_keys"
        " WHERE scope = $1 AND key = $2",
        scope,
        key,
    )
    if row["request_hash"] != fingerprint:
        raise Conflict(
            "Idempotency-Key was already used with a different request body",
            field="Idempotency-Key",
            rule="idempotency-key-reused",
        )
    return IdempotentReplay(row["status"] or 200, orjson.loads(row["response"]) if row["response"] else None)


async def store_response(conn: AsyncConnection, scope: str, key: str | None, status: int, body: Any) -> None:
    """Remember the answer for ``key`` (same transaction as the writes)."""
    if key is None:
        return
    db = await driver(conn)
    await db.execute(
        "UPDATE idempotency_keys SET status = $3, response = $4::jsonb WHERE scope = $1 AND key = $2",
        scope,
        key,
        status,
        orjson.dumps(body, default=str).decode(),
    )
