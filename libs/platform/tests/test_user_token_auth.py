"""A service accepts the console's user tokens beside API keys, over HTTP: the user is the
principal (and the actor); a wrong role is 403; an expired token or none configured is 401."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import APIRouter, Depends

from backoffice_events.context import current_context
from backoffice_platform.app import build_context, create_service_app, require
from backoffice_platform.auth import KeyRing, Principal, Role, hash_key
from backoffice_platform.settings import ServiceSettings
from backoffice_platform.user_tokens import ensure_key_pair, sign_user_token

router = APIRouter()


@router.get("/whoami")
async def whoami(principal: Annotated[Principal, Depends(require(Role.APPROVER))]) -> dict[str, object]:
    return {"name": principal.name, "roles": sorted(principal.roles), "actor": current_context().actor}


def client(public_key: Path | None) -> httpx.AsyncClient:
    settings = ServiceSettings(
        service_name="tokens",
        database_url="postgresql://nobody@127.0.0.1:1/unused",  # never connected to here
        console_public_key_file=str(public_key or ""),
    )
    keys = KeyRing([{"name": "machine", "key_sha256": hash_key("machine-key"), "roles": ["approver"]}])
    app = create_service_app(build_context(settings, keys=keys), title="t", description="t", routers=[router])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tokens")


def signed(key: Ed25519PrivateKey, roles: list[str], minutes_ago: int = 0) -> dict[str, str]:
    token = sign_user_token(
        key,
        user_id="usr-7",
        name="Arne Approver",
        email="arne@example.com",
        roles=roles,
        now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=minutes_ago),
    )
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def console_key(tmp_path: Path) -> tuple[Ed25519PrivateKey, Path]:
    private, public = ensure_key_pair(tmp_path)
    key = serialization.load_pem_private_key(private.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    return key, public


async def test_the_user_is_the_principal_and_the_actor(console_key) -> None:
    key, public = console_key
    async with client(public) as http:
        answer = await http.get("/whoami", headers=signed(key, ["approver"]))
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "name": "arne@example.com",
            "roles": ["approver"],
            "actor": "arne@example.com",
        }
        assert (await http.get("/whoami", headers={"X-API-Key": "machine-key"})).json()["name"] == "machine"


async def test_a_user_without_the_role_is_forbidden_and_an_expired_token_unauthorised(console_key) -> None:
    key, public = console_key
    async with client(public) as http:
        assert (await http.get("/whoami", headers=signed(key, ["order_clerk"]))).status_code == 403
        expired = await http.get("/whoami", headers=signed(key, ["approver"], minutes_ago=10))
        assert expired.status_code == 401
        assert expired.headers["content-type"].startswith("application/problem+json")
        assert "expired" in expired.json()["detail"]


async def test_without_the_consoles_public_key_no_user_token_is_accepted(console_key) -> None:
    key, _public = console_key
    async with client(None) as http:
        refused = await http.get("/whoami", headers=signed(key, ["approver"]))
        assert refused.status_code == 401
        assert "not accepted" in refused.json()["detail"]
