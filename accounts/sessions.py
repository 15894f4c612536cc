"""Admin sessions kept on the server, so that ending one is real.

The browser's cookie carries a random secret; the store keeps only its SHA-256 (`admin_sessions`).
A session ends when its user signs out, when an admin revokes it, when the user is disabled or their
password or role changes (`end_sessions_of`), after `idle` without a request, and at its absolute
expiry whatever happens. A copied cookie is worth nothing once its session has ended.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kernel.errors import OcrInputError
from kernel.settings import load_settings
from rollout.store import Store
from rollout.store.models import AdminSession, User, utcnow

#: how stale `last_seen_at` may get before a request writes it again (one write a minute, not one a request)
SEEN_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls) -> Lifetimes:
        """OCRGATE_SESSION_IDLE_MINUTES and OCRGATE_SESSION_MAX_HOURS."""
        settings = load_settings()
        return cls(timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_max_hours))


@dataclass(frozen=True)
class SessionInfo:
    """A live session as the admin lists it (never its secret)."""

    id: int
    username: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _live(now: datetime, idle: timedelta):
    return (AdminSession.revoked_at.is_(None), AdminSession.expires_at > now, AdminSession.last_seen_at > now - idle)


def start_session(store: Store, user_id: int, lifetimes: Lifetimes) -> str:
    """A new session for `user_id`; returns the secret for the cookie (the only time it exists)."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with store.session() as session:
        session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))  # ended for good
        session.add(
            AdminSession(
                token_sha256=_hash(secret),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetimes.absolute,
            )
        )
    return secret


def session_user(store: Store, secret: str, lifetimes: Lifetimes) -> User | None:
    """The enabled user of the live session `secret` (its last use recorded), or None."""
    now = utcnow()
    stale = (AdminSession.last_seen_at <= now - SEEN_PRECISION).label("stale")
    with store.session() as session:
        found = session.execute(
            select(AdminSession, stale).where(AdminSession.token_sha256 == _hash(secret), *_live(now, lifetimes.idle))
        ).first()
        if found is None:
            return None
        row, seen_long_ago = found
        user = session.get(User, row.user_id)
        if user is None or user.disabled:
            return None
        if seen_long_ago:
            row.last_seen_at = now
        return user


def end_session(store: Store, secret: str) -> None:
    """Sign-out: the session of `secret` ends now."""
    with store.session() as session:
        session.execute(
            update(AdminSession)
            .where(AdminSession.token_sha256 == _hash(secret), AdminSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )


def revoke_session(store: Store, session_id: int) -> None:
    """An admin ends session `session_id`."""
    with store.session() as session:
        row = session.get(AdminSession, session_id)
        if row is None:
            raise OcrInputError(f"no session {session_id}")
        row.revoked_at = row.revoked_at or utcnow()


def end_sessions_of(session: Session, user_id: int) -> None:
    """End every session of `user_id`, in the caller's transaction (a change to the user's access)."""
    session.execute(
        update(AdminSession)
        .where(AdminSession.user_id == user_id, AdminSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def live_sessions(store: Store, lifetimes: Lifetimes) -> list[SessionInfo]:
    """Every live session, newest first."""
    now = utcnow()
    with store.session() as session:
        rows = session.execute(
            select(AdminSession, User.username)
            .join(User, AdminSession.user_id == User.id)
            .where(*_live(now, lifetimes.idle))
            .order_by(AdminSession.id.desc())
        )
        return [
            SessionInfo(row.id, username, row.created_at, row.last_seen_at, row.expires_at) for row, username in rows
        ]
