"""Short-lived signed user tokens: how a person logged in to the console reaches the services.

The console signs an EdDSA (Ed25519) JWT per call with its private key: ``sub`` (user id),
``name``, ``email``, ``roles``, ``iat``/``exp`` a few minutes apart, issuer ``backoffice-console``
and audience ``backoffice``. Services verify it with the console's public key
(``CONSOLE_PUBLIC_KEY_FILE``) beside API keys, sent as ``Authorization: Bearer <token>``.
Roles map exactly as an API key's do; the principal's name is the user's e-mail (unique and
readable), so it is the actor on every event and what four-eyes rules compare.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .auth import AuthError, Principal, Role

ISSUER = "backoffice-console"
AUDIENCE = "backoffice"
ALGORITHM = "EdDSA"
# Roles a person may hold; ``service`` is for the system's own processes, never a user.
USER_ROLES = frozenset(Role) - {Role.SERVICE}


class UserTokenVerifier:
    """Checks a console-signed token and turns it into the user's ``Principal``."""

    def __init__(self, public_key: Ed25519PublicKey, leeway_seconds: int = 5) -> None:
        self._key = public_key
        self._leeway = leeway_seconds

    @classmethod
    def from_pem(cls, pem: bytes) -> UserTokenVerifier:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the console's public key must be an Ed25519 key")
        return cls(key)

    @classmethod
    def from_file(cls, path: str) -> UserTokenVerifier | None:
        """The verifier for the key at ``path``; ``None`` (tokens refused) when none is set."""
        if not path:
            return None
        return cls.from_pem(Path(path).read_bytes())

    def verify(self, token: str) -> Principal:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],  # pinned: a token cannot choose a weaker algorithm
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=self._leeway,
                options={"require": ["sub", "exp", "iat", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError(401, "user token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise AuthError(401, f"invalid user token: {exc}") from exc
        roles = claims.get("roles")
        name = claims.get("email") or claims.get("name")
        if not isinstance(roles, list) or not isinstance(name, str) or not name:
            raise AuthError(401, "invalid user token: roles and email are required")
        unknown = [r for r in roles if r not in {role.value for role in USER_ROLES}]
        if unknown:
            raise AuthError(401, f"invalid user token: unknown role(s) {', '.join(map(str, unknown))}")
        return Principal(name, frozenset(Role(r) for r in roles))


def sign_user_token(
    private_key: Ed25519PrivateKey,
    *,
    user_id: str,
    name: str,
    email: str,
    roles: list[str],
    now: dt.datetime,
    lifetime: dt.timedelta = dt.timedelta(minutes=5),
) -> str:
    """A token for one user, valid for ``lifetime`` from ``now``."""
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": user_id,
        "name": name,
        "email": email,
        "roles": sorted(roles),
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, private_key, algorithm=ALGORITHM)


def load_private_key(path: str) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the console's signing key must be an Ed25519 key")
    return key


def ensure_key_pair(directory: Path) -> tuple[Path, Path]:
    """The console's key pair in ``directory`` (private key 0600), created once."""
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / "console-signing.key", directory / "console-signing.pub"
    if not (private.exists() and public.exists()):
        key = Ed25519PrivateKey.generate()
        private.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        private.chmod(0o600)
        public.write_bytes(
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return private, public
