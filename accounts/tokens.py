"""API tokens: random secrets shown once at creation, stored only as SHA-256 hashes, each with scopes.

A 256-bit random token cannot be guessed, so a fast hash is the right one here (a slow
password hash is for low-entropy secrets); lookups compare hashes, never plain tokens.

Scopes: `ocr` sends pages (POST /v1/ocr); `read` reads pairs, traffic and gates, and sees the pairs
of its own client's requests only; `admin` widens `read` to every client (pairs, search);
`metrics` reads `GET /metrics` (for a Prometheus server) and nothing else. A new
token gets `ocr` unless asked otherwise: the narrowest scope that works. A token's name is its
client's; it is unique among active tokens, so a revoked client's name can be given a new token.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kernel.errors import AuthError, OcrInputError
from kernel.labels import text_label
from rollout.store import Store
from rollout.store.models import ApiToken, column_length, utcnow

PREFIX = "ocg_"
SCOPES = ("ocr", "read", "admin", "metrics")
DEFAULT_SCOPES = ("ocr",)


@dataclass(frozen=True)
class Grant:
    """Who a valid token speaks for (its name: the client) and what it may do."""

    name: str
    scopes: frozenset[str]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_scopes(scopes: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(scopes)
    unknown = sorted(chosen - set(SCOPES))
    if unknown or not chosen:
        raise OcrInputError(f"scopes must be one or more of {', '.join(SCOPES)}, got {', '.join(unknown) or 'none'}")
    return chosen


def _in_order(scopes: Iterable[str]) -> list[str]:
    return [scope for scope in SCOPES if scope in scopes]


def create_token(store: Store, name: str, scopes: Iterable[str] = DEFAULT_SCOPES) -> str:
    """A new token for client `name` with `scopes`; the only time the plain token exists."""
    name = text_label(name, "token name", column_length(ApiToken.name))
    chosen = check_scopes(scopes)
    token = PREFIX + secrets.token_urlsafe(32)
    try:
        with store.session() as session:
            session.add(ApiToken(name=name, token_sha256=_hash(token), scopes=" ".join(_in_order(chosen))))
    except IntegrityError:  # the database keeps active names unique, also against a concurrent create
        raise OcrInputError(f"an active token named {name!r} exists; revoke it first") from None
    return token


def verify_token(store: Store, token: str) -> Grant:
    """The client and scopes behind `token`; AuthError if it is unknown or revoked."""
    with store.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.token_sha256 == _hash(token))).first()
        if row is None or row.revoked_at is not None:
            raise AuthError("unknown or revoked API token")
        return Grant(row.name, frozenset(row.scopes.split()))


def revoke_token(store: Store, name: str) -> None:
    """Revoke the active token of client `name`."""
    with store.session() as session:
        row = session.scalars(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None))).first()
        if row is None:
            raise OcrInputError(f"no active token named {name!r}")
        row.revoked_at = utcnow()


def list_tokens(store: Store) -> list[dict]:
    with store.session() as session:
        return [
            {
                "name": t.name,
                "scopes": _in_order(t.scopes.split()),
                "created_at": t.created_at.isoformat(),
                "revoked": t.revoked_at is not None,
            }
            for t in session.scalars(select(ApiToken).order_by(ApiToken.id))
        ]
