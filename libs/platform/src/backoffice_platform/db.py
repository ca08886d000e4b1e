"""Database engine and database creation."""

from __future__ import annotations

import asyncpg
import orjson
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .settings import with_database


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    """An asyncpg-backed SQLAlchemy engine with JSON via orjson."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        json_serializer=lambda v: orjson.dumps(v).decode(),
        json_deserializer=orjson.loads,
    )


async def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it does not exist. True if created."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = dsn.rsplit("/", 1)[-1].split("?")[0]
    admin = await asyncpg.connect(with_database(dsn, "postgres"))
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        # Identifiers cannot be bound parameters; the name is quoted and comes from our settings.
        await admin.execute(f'CREATE DATABASE "{name}"')
        return True
    except asyncpg.DuplicateDatabaseError:
        return False
    finally:
        await admin.close()
