"""The verifier of the console's signed user tokens: what it accepts and what it refuses."""

from __future__ import annotations

import datetime as dt
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.utils import base64url_decode, base64url_encode

from backoffice_platform.auth import AuthError, Role
from backoffice_platform.user_tokens import UserTokenVerifier, ensure_key_pair, sign_user_token

NOW = dt.datetime.now(dt.UTC)


def token(key: Ed25519PrivateKey, roles: list[str], now: dt.datetime = NOW, minutes: int = 5) -> str:
    return sign_user_token(
        key,
        user_id="usr-1",
        name="Pia Payables",
        email="pia@example.com",
        roles=roles,
        now=now,
        lifetime=dt.timedelta(minutes=minutes),
    )


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_valid_token_is_the_user_with_their_roles(key: Ed25519PrivateKey) -> None:
    principal = UserTokenVerifier(key.public_key()).verify(token(key, ["payables_clerk", "approver"]))
    assert principal.name == "pia@example.com"
    assert principal.roles == {Role.PAYABLES_CLERK, Role.APPROVER}
    assert not principal.is_partner


def test_an_expired_token_is_refused(key: Ed25519PrivateKey) -> None:
    old = token(key, ["approver"], now=NOW - dt.timedelta(minutes=10), minutes=5)
    with pytest.raises(AuthError, match="expired") as refused:
        UserTokenVerifier(key.public_key()).verify(old)
    assert refused.value.status == 401


def test_a_token_signed_with_another_key_is_refused(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate()
    with pytest.raises(AuthError, match="invalid user token"):
        UserTokenVerifier(key.public_key()).verify(token(other, ["approver"]))


def test_a_tampered_token_is_refused(key: Ed25519PrivateKey) -> None:
    header, payload, signature = token(key, ["order_clerk"]).split(".")
    claims = json.loads(base64url_decode(payload))
    claims["roles"] = ["admin"]  # the clerk promotes themself, keeping the old signature
    forged = base64url_encode(json.dumps(claims).encode()).decode()
    with pytest.raises(AuthError, match="invalid user token"):
        UserTokenVerifier(key.public_key()).verify(f"{header}.{forged}.{signature}")


def test_a_token_with_an_unknown_role_is_refused(key: Ed25519PrivateKey) -> None:
    with pytest.raises(AuthError, match="unknown role"):
        UserTokenVerifier(key.public_key()).verify(token(key, ["order_clerk", "wizard"]))


def test_a_person_cannot_hold_the_systems_own_service_role(key: Ed25519PrivateKey) -> None:
    with pytest.raises(AuthError, match="unknown role"):
        UserTokenVerifier(key.public_key()).verify(token(key, ["service"]))


def test_another_algorithm_is_refused_even_with_the_right_claims(key: Ed25519PrivateKey) -> None:
    claims = {
        "iss": "backoffice-console",
        "aud": "backoffice",
        "sub": "u",
        "email": "x@y.z",
        "roles": ["admin"],
    }
    claims |= {"iat": int(NOW.timestamp()), "exp": int(NOW.timestamp()) + 60}
    unsigned = jwt.encode(claims, "a shared secret of thirty-two bytes or more", algorithm="HS256")
    with pytest.raises(AuthError, match="invalid user token"):
        UserTokenVerifier(key.public_key()).verify(unsigned)


def test_a_token_for_another_audience_is_refused(key: Ed25519PrivateKey) -> None:
    claims = jwt.decode(token(key, ["approver"]), options={"verify_signature": False})
    claims["aud"] = "someone-else"
    with pytest.raises(AuthError, match="invalid user token"):
        UserTokenVerifier(key.public_key()).verify(jwt.encode(claims, key, algorithm="EdDSA"))


def test_the_key_pair_is_made_once_and_the_public_half_verifies(tmp_path) -> None:
    private, public = ensure_key_pair(tmp_path)
    assert ensure_key_pair(tmp_path) == (private, public)
    assert private.stat().st_mode & 0o077 == 0
    signing = serialization.load_pem_private_key(private.read_bytes(), password=None)
    assert isinstance(signing, Ed25519PrivateKey)
    verifier = UserTokenVerifier.from_pem(public.read_bytes())
    assert verifier.verify(token(signing, ["auditor"])).roles == {Role.AUDITOR}
