"""SQL of the published chart (``chart_accounts``) and of the ledger's dead letters
(``ledger_dead_letters``). Both live outside the generations of the books: a rebuild reads the
same chart and keeps the same record of what the ledger could not take."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from backoffice_events.catalog.chart import AccountType
from backoffice_events.consumer import DeadLettered

from ..domain.chart import ChartAccount

CHART_STREAM = "chart"


async def lock_chart_stream(conn: AsyncConnection) -> None:
    """Hold the chart stream's row until commit (the stream exists once the default is published)."""
    await conn.execute(
        text("SELECT version FROM event_streams WHERE stream_id = :id FOR UPDATE"), {"id": CHART_STREAM}
    )


async def load_chart(conn: AsyncConnection) -> dict[str, ChartAccount]:
    """The published chart by code."""
    rows = await conn.execute(
        text("SELECT code, name, account_type, role, open FROM chart_accounts ORDER BY code")
    )
    return {r.code: ChartAccount(r.code, r.name, AccountType(r.account_type), r.role, r.open) for r in rows}


async def save_chart_accounts(conn: AsyncConnection, accounts: Iterable[ChartAccount]) -> None:
    """Insert or update accounts of the read model."""
    for a in accounts:
        await conn.execute(
            text(
                "INSERT INTO chart_accounts (code, name, account_type, role, open)"
                " VALUES (:code, :name, :type, :role, :open) ON CONFLICT (code) DO UPDATE"
                " SET name = EXCLUDED.name, open = EXCLUDED.open, updated_at = now()"
            ),
            {"code": a.code, "name": a.name, "type": a.account_type.value, "role": a.role, "open": a.open},
        )


async def has_balance(conn: AsyncConnection, code: str) -> bool:
    """Whether the account's lines (any date, any currency) leave a non-zero balance."""
    rows = await conn.execute(
        text(
            "SELECT 1 FROM journal_lines WHERE account = :code GROUP BY currency"
            " HAVING sum(debit) <> sum(credit) LIMIT 1"
        ),
        {"code": code},
    )
    return rows.first() is not None


@dataclass(frozen=True, slots=True)
class RecordedDeadLetter:
    """An event the ledger dead-lettered and has not posted since."""

    event_id: str | None
    event_type: str | None
    topic: str
    partition: int
    offset: int
    reason: str
    dead_lettered_at: dt.datetime


def _key(letter: DeadLettered) -> str:
    return letter.event_id or f"{letter.topic}:{letter.partition}:{letter.offset}"


async def record_dead_letters(conn: AsyncConnection, letters: Sequence[DeadLettered]) -> None:
    """The consumer's dead-letter hook: remember each record (the latest reason wins)."""
    for letter in letters:
        await conn.execute(
            text(
                "INSERT INTO ledger_dead_letters"
                " (record_key, event_id, event_type, topic, kafka_partition, kafka_offset, reason)"
                " VALUES (:key, :id, :type, :topic, :partition, :offset, :reason)"
                " ON CONFLICT (record_key) DO UPDATE SET reason = EXCLUDED.reason,"
                " topic = EXCLUDED.topic, kafka_partition = EXCLUDED.kafka_partition,"
                " kafka_offset = EXCLUDED.kafka_offset, dead_lettered_at = now()"
            ),
            {
                "key": _key(letter),
                "id": letter.event_id,
                "type": letter.event_type,
                "topic": letter.topic,
                "partition": letter.partition,
                "offset": letter.offset,
                "reason": letter.reason,
            },
        )


async def clear_dead_letters(conn: AsyncConnection, event_ids: Sequence[str]) -> None:
    """Events that have now been taken are no longer missing from the books."""
    if event_ids:
        await conn.execute(
            text("DELETE FROM ledger_dead_letters WHERE record_key = ANY(:ids)"), {"ids": list(event_ids)}
        )


async def dead_letters(conn: AsyncConnection) -> list[RecordedDeadLetter]:
    """Every event the ledger could not take, oldest first."""
    rows = await conn.execute(
        text(
            "SELECT event_id, event_type, topic, kafka_partition, kafka_offset, reason, dead_lettered_at"
            " FROM ledger_dead_letters ORDER BY dead_lettered_at, record_key"
        )
    )
    return [
        RecordedDeadLetter(
            r.event_id, r.event_type, r.topic, r.kafka_partition, r.kafka_offset, r.reason, r.dead_lettered_at
        )
        for r in rows
    ]
