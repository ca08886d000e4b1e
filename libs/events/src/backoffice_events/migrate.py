"""Plain versioned SQL migrations, the one way every service evolves its schema.

Each component (the events library, the platform library, a service) owns a folder of
``NNNN_name.sql`` files. ``apply_migrations`` runs the ones not yet recorded in
``schema_migrations``, each in its own transaction, under an advisory lock so several
replicas starting together do not race.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

_LOCK_KEY = 7_231_001  # arbitrary, constant: serialises migrators on one database


@dataclass(frozen=True)
class MigrationSet:
    """The migrations of one component."""

    component: str
    folder: Path

    def files(self) -> list[Path]:
        return sorted(p for p in self.folder.glob("*.sql"))


def package_migrations(component: str, package: str, folder: str = "migrations") -> MigrationSet:
    """Migrations shipped inside an installed package."""
    return MigrationSet(component, Path(str(resources.files(package) / folder)))


EVENT_STORE_MIGRATIONS = package_migrations("backoffice_events", "backoffice_events")


async def apply_migrations(engine: AsyncEngine, sets: Sequence[MigrationSet]) -> list[str]:
    """Apply pending migrations in order; return the names applied."""
    applied: list[str] = []
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " component text NOT NULL, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, name))"
        )
        await raw.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            for mset in sets:
                done = {
                    r["name"]: r["checksum"]
                    for r in await raw.fetch(
                        "SELECT name, checksum FROM schema_migrations WHERE component = $1", mset.component
                    )
                }
                for path in mset.files():
                    sql = path.read_text()
                    checksum = hashlib.sha256(sql.encode()).hexdigest()
                    if path.name in done:
                        if done[path.name] != checksum:
                            raise RuntimeError(
                                f"migration {mset.component}/{path.name} changed after it was applied"
                            )
                        continue
                    async with raw.transaction():
                        await raw.execute(sql)
                        await raw.execute(
                            "INSERT INTO schema_migrations (component, name, checksum) VALUES ($1, $2, $3)",
                            mset.component,
                            path.name,
                            checksum,
                        )
                    applied.append(f"{mset.component}/{path.name}")
        finally:
            await raw.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
        await conn.commit()
    return applied
