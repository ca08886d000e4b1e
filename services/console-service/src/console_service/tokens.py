"""Signing the user's short-lived token for each call to a service."""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from backoffice_platform.user_tokens import sign_user_token

from .domain.people import User


def token_for(user: User, key: Ed25519PrivateKey, now: dt.datetime, minutes: int) -> str:
    return sign_user_token(
        key,
        user_id=user.user_id,
        name=user.name,
        email=user.email,
        roles=[r.value for r in user.roles],
        now=now,
        lifetime=dt.timedelta(minutes=minutes),
    )
