"""Where the locally running system is: ports, API keys, URLs."""

from __future__ import annotations

import json
import os
from pathlib import Path

from backoffice_platform.auth import Role, keys_per_role

from .services import PORTS

ROOT = Path(__file__).resolve().parents[3]
LOCAL = Path(os.environ.get("BACKOFFICE_LOCAL_DIR", ROOT / ".local"))
KEYS_FILE = LOCAL / "api-keys.json"
ADMIN_KEY_FILE = LOCAL / "admin.key"


def api_url(service: str) -> str:
    return os.environ.get(f"{service.upper()}_API_URL", f"http://127.0.0.1:{PORTS[service]}")


def ensure_local_keys() -> str:
    """Create the local deployment's API keys (hashes in api-keys.json, the admin key in
    admin.key, both git-ignored) once; return the admin key."""
    LOCAL.mkdir(parents=True, exist_ok=True)
    if KEYS_FILE.exists() and ADMIN_KEY_FILE.exists():
        return ADMIN_KEY_FILE.read_text().strip()
    entries, plain = keys_per_role("demo", ["cust-acme"])
    KEYS_FILE.write_text(json.dumps(entries, indent=2))
    (LOCAL / "demo-keys.json").write_text(json.dumps({r.value: k for r, k in plain.items()}, indent=2))
    for path in (KEYS_FILE, LOCAL / "demo-keys.json"):
        path.chmod(0o600)
    ADMIN_KEY_FILE.write_text(plain[Role.ADMIN])
    ADMIN_KEY_FILE.chmod(0o600)
    return plain[Role.ADMIN]


def admin_key() -> str:
    key = os.environ.get("BACKOFFICE_API_KEY")
    if key:
        return key
    if ADMIN_KEY_FILE.exists():
        return ADMIN_KEY_FILE.read_text().strip()
    raise SystemExit("no API key: set BACKOFFICE_API_KEY or start the system with `make run`")
