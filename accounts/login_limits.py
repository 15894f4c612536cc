"""The sign-in limiter: at most `attempts` sign-ins per key (a client address, a username) in a
window, counted in the store, so every process behind a load balancer shares one count and a
restart forgets nothing.

An attempt is counted before its password is checked, by one atomic statement per key (the
database serialises concurrent increments: SQLite's write lock, PostgreSQL's row lock), so a burst
of concurrent requests cannot all slip past the check: requests beyond the limit are refused without
a password check. A window starts at the first attempt after the last one ended; a successful
sign-in clears its keys.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rollout.store import Store
from rollout.store.models import LoginAttempts, column_length, utcnow

LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = timedelta(minutes=5)
MAX_KEY = column_length(LoginAttempts.key)


def login_keys(address: str | None, username: str) -> tuple[str, str]:
    """The keys one sign-in counts against: its client address and the username it tries."""
    return f"ip:{address or 'unknown'}"[:MAX_KEY], f"user:{username.strip().lower()}"[:MAX_KEY]


class LoginLimiter:
    def __init__(self, store: Store, attempts: int = LOGIN_ATTEMPTS, window: timedelta = LOGIN_WINDOW):
        self.store, self.attempts, self.window = store, attempts, window

    def admit(self, *keys: str) -> bool:
        """Count one attempt against each key; False when any key is over its limit in its window."""
        now = utcnow()
        ended = LoginAttempts.window_started_at <= now - self.window
        counts = []
        with self.store.session() as session:
            for key in sorted(keys):  # one lock order for every request
                _insert_if_missing(session, key, now)
                counts.append(
                    session.execute(
                        update(LoginAttempts)
                        .where(LoginAttempts.key == key)
                        .values(
                            attempts=case((ended, 1), else_=LoginAttempts.attempts + 1),
                            window_started_at=case((ended, now), else_=LoginAttempts.window_started_at),
                        )
                        .returning(LoginAttempts.attempts)
                    ).scalar_one()
                )
        return all(count <= self.attempts for count in counts)

    def clear(self, *keys: str) -> None:
        with self.store.session() as session:
            session.execute(delete(LoginAttempts).where(LoginAttempts.key.in_(keys)))


def _insert_if_missing(session: Session, key: str, now: datetime) -> None:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(LoginAttempts)
        .values(key=key, window_started_at=now, attempts=0)
        .on_conflict_do_nothing(index_elements=["key"])
    )
