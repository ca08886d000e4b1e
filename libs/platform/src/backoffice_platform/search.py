"""Free-text search in lists: the one way a ``q`` parameter is matched."""

from __future__ import annotations


def contains_pattern(q: str) -> str:
    """An ``ILIKE`` pattern matching ``q`` literally anywhere in the text (LIKE's wildcards and
    its escape character in ``q`` are escaped; PostgreSQL's default escape is the backslash)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
