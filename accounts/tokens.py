"""API tokens: random secrets shown once at creation, stored only as SHA-256 hashes.

A 256-bit random token cannot be guessed, so a fast hash is the right one here (a slow
password hash is for low-entropy secrets); lookups compare hashes, never plain tokens.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from kernel.errors import AuthError, OcrInputError
from rollout.store import Store
from rollout.store.models import ApiToken, utcnow

PREFIX = "ocg_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(store: Store, name: str) -> str:
    """A new token for client `name`; the only time the plain token exists."""
    name = name.strip()
    if not name or len(name) > 100:
        raise OcrInputError("token name must be 1-100 characters")
    token = PREFIX + secrets.token_urlsafe(32)
    with store.session() as session:
        if session.scalars(select(ApiToken).where(ApiToken.name == name)).first() is not None:
            raise OcrInputError(f"a token named {name!r} exists; revoke it first")
        session.add(ApiToken(name=name, token_sha256=_hash(token)))
    return token


def verify_token(store: Store, token: str) -> str:
    """The client name behind `token`; AuthError if it is unknown or revoked."""
    with store.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_sha256 == _hash(token))).first()
        if row is None or row.revoked_at is not None:
            raise AuthError("unknown or revoked API token")
        return row.name


def revoke_token(store: Store, name: str) -> None:
    with store.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == name)).first()
        if row is None:
            raise OcrInputError(f"no token named {name!r}")
        row.revoked_at = utcnow()


def list_tokens(store: Store) -> list[dict]:
    with store.session() as session:
        return [{"name": t.name, "created_at": t.created_at.isoformat(), "revoked": t.revoked_at is not None}
                for t in session.scalars(select(ApiToken).order_by(ApiToken.id))]
