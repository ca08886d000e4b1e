"""API keys mapped to roles.

Keys are configured per deployment as a JSON file (``API_KEYS_FILE``) or the ``API_KEYS``
environment variable: a list of ``{"name", "key_sha256", "roles", "customers"}``. Only the
SHA-256 of each key is stored. ``customers`` limits a partner to its own customers.
Missing or unknown key: 401. Known key without a permitted role: 403.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson


class Role(StrEnum):
    ORDER_CLERK = "order_clerk"
    SALES_REP = "sales_rep"
    SUPPORT_AGENT = "support_agent"
    BILLING_CLERK = "billing_clerk"
    PAYABLES_CLERK = "payables_clerk"
    APPROVER = "approver"
    ACCOUNTANT = "accountant"  # closes periods, keeps the chart, enters manual journal entries
    AUDITOR = "auditor"
    PARTNER = "partner"
    ADMIN = "admin"
    SERVICE = "service"  # other processes of the system (seeding, operator CLI)


@dataclass(frozen=True)
class Principal:
    name: str
    roles: frozenset[Role]
    customers: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_partner(self) -> bool:
        return Role.PARTNER in self.roles and not self.roles & {Role.ADMIN, Role.SERVICE}

    def can_see_customer(self, customer_id: str | None) -> bool:
        """Partners see only their own customers; everyone else sees all."""
        return not self.is_partner or (customer_id is not None and customer_id in self.customers)


class AuthError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyRing:
    """The configured keys, looked up by hash in constant time per candidate."""

    def __init__(self, entries: Iterable[dict[str, Any]]) -> None:
        self._by_hash: dict[str, Principal] = {}
        for e in entries:
            roles = frozenset(Role(r) for r in e["roles"])
            self._by_hash[e["key_sha256"]] = Principal(e["name"], roles, frozenset(e.get("customers", [])))

    @classmethod
    def from_environment(cls, path: str = "") -> KeyRing:
        raw = os.environ.get("API_KEYS")
        if raw:
            return cls(orjson.loads(raw))
        path = path or os.environ.get("API_KEYS_FILE", "")
        if path and Path(path).exists():
            return cls(orjson.loads(Path(path).read_bytes()))
        return cls([])

    def authenticate(self, key: str | None) -> Principal:
        if not key:
            raise AuthError(401, "missing API key (send it in the X-API-Key header)")
        digest = hash_key(key)
        for known, principal in self._by_hash.items():
            if hmac.compare_digest(known, digest):
                return principal
        raise AuthError(401, "unknown API key")

    def __len__(self) -> int:
        return len(self._by_hash)


def permits(principal: Principal, allowed: Iterable[Role], *, read_only: bool) -> bool:
    """Admins may do anything, auditors may read anything, others need a listed role."""
    if principal.roles & {Role.ADMIN, Role.SERVICE}:
        return True
    if read_only and Role.AUDITOR in principal.roles:
        return True
    return bool(principal.roles & set(allowed))


def keys_per_role(
    label: str, partner_customers: Sequence[str]
) -> tuple[list[dict[str, Any]], dict[Role, str]]:
    """A fresh key for every role: the key-ring entries (hashes only) and the plain keys to hand
    out. The partner's key is limited to ``partner_customers``."""
    plain = {role: f"{label}-{role.value}-{secrets.token_urlsafe(18)}" for role in Role}
    entries = [
        {
            "name": f"{label}-{role.value}",
            "key_sha256": hash_key(key),
            "roles": [role.value],
            "customers": list(partner_customers) if role is Role.PARTNER else [],
        }
        for role, key in plain.items()
    ]
    return entries, plain
