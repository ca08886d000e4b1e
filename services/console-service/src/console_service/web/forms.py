"""Turning form fields into API bodies, and API problems into messages beside the fields."""

from __future__ import annotations

import re

from ..adapters.services import ApiProblem

FORM = "_form"  # messages that name no field show above the form


def problem_errors(problem: ApiProblem, known: set[str] | None = None) -> dict[str, str]:
    """``{field: message}`` for the form; a field the form does not have goes to the top."""
    name = problem.field
    if name and name.startswith("body."):
        name = name[5:]
    if name and (known is None or name in known):
        return {name: problem.message}
    named = not name or problem.message.startswith(name)
    return {FORM: problem.message if named else f"{name}: {problem.message}"}


LINE_FIELD = re.compile(r"^lines\[(\d+)\]\.(\w+)$")


def line_rows(form: dict[str, str], fields: tuple[str, ...], rows: int) -> list[dict[str, str]]:
    """The form's line rows (``lines[0].sku`` ...), as typed, including empty ones."""
    return [{f: form.get(f"lines[{i}].{f}", "").strip() for f in fields} for i in range(rows)]
