"""Published contracts: each service's OpenAPI in docs/api/, the AsyncAPI document and the
JSON Schema of every event in docs/events/. ``python -m backoffice_cli.contracts write|check``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from backoffice_events.schema import all_schemas, asyncapi, incompatibilities
from backoffice_platform.app import build_context
from backoffice_platform.auth import KeyRing

from .services import available, definition

ROOT = Path(__file__).resolve().parents[3]
API_DIR = ROOT / "docs" / "api"
EVENTS_DIR = ROOT / "docs" / "events"


def _dump(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def openapi(name: str) -> dict[str, Any]:
    defn = definition(name)
    settings = defn.settings()
    ctx = build_context(settings, keys=KeyRing([]))
    app = defn.create_app(ctx)
    doc: dict[str, Any] = app.openapi()
    doc.setdefault("components", {}).setdefault("securitySchemes", {})["ApiKey"] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    # People reach the services through the console, with its signed short-lived token.
    doc["components"]["securitySchemes"]["UserToken"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT (EdDSA, signed by the console)",
    }
    doc["security"] = [{"ApiKey": []}, {"UserToken": []}]
    return doc


def generated() -> dict[Path, str]:
    """Every contract file as the code defines it now."""
    files: dict[Path, str] = {}
    for name in available():
        files[API_DIR / f"{name}-service.openapi.json"] = _dump(openapi(name))
    files[EVENTS_DIR / "asyncapi.json"] = _dump(asyncapi())
    for cloud_type, schema in all_schemas().items():
        files[EVENTS_DIR / "schemas" / f"{cloud_type}.json"] = _dump(schema)
    return files


class BreakingChange(Exception):
    """A published event schema would change incompatibly."""


def breaking_changes(files: dict[Path, str]) -> list[str]:
    """Incompatibilities between committed event schemas and the ones the code generates."""
    problems = []
    for path, content in files.items():
        if path.parent.name == "schemas" and path.exists():
            old, new = json.loads(path.read_text()), json.loads(content)
            problems += [f"{path.stem}: {p}" for p in incompatibilities(old, new)]
    return problems


def write(allow_breaking: bool = False) -> list[Path]:
    """Regenerate the contract files; refuse to overwrite a published event schema with an
    incompatible one (publish a new version with an upcaster instead)."""
    files = generated()
    problems = breaking_changes(files)
    if problems and not allow_breaking:
        raise BreakingChange("incompatible event schema changes:\n" + "\n".join(problems))
    changed = []
    for path, content in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text() != content:
            path.write_text(content)
            changed.append(path)
    return changed


def differences() -> list[str]:
    """Contract files that differ from (or are missing against) what the code generates."""
    out = []
    for path, content in generated().items():
        if not path.exists():
            out.append(f"missing: {path.relative_to(ROOT)}")
        elif path.read_text() != content:
            out.append(f"differs: {path.relative_to(ROOT)}")
    return out


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "write":
        for path in write(allow_breaking="--allow-breaking" in sys.argv):
            print(f"wrote {path.relative_to(ROOT)}")
    else:
        diffs = differences()
        for line in diffs:
            print(line)
        sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
