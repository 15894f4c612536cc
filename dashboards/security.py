"""Sessions, roles, CSRF protection and login rate limiting for the admin.

- Sessions are signed cookies (HttpOnly, SameSite=Lax) that expire after `IDLE_MINUTES` without
  activity and `ABSOLUTE_HOURS` after login; the user's role is re-read on every request, so a
  demotion or a disabled account takes effect at once.
- Every POST must carry the session's CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`); otherwise 403 and nothing changes.
- Login attempts are limited per client address and per username (sliding window).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from accounts.users import get_user, role_at_least

IDLE_MINUTES = 30
ABSOLUTE_HOURS = 8
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_SECONDS = 300


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Abort with 403 unless a POST carries this session's CSRF token."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(403, description="missing or invalid CSRF token; reload the page and try again")


def start_session(user_id: int) -> None:
    session.clear()
    session.permanent = True
    session["user_id"] = user_id
    session["login_at"] = time.time()
    session["seen_at"] = time.time()
    csrf_token()


def load_user() -> None:
    """Attach the signed-in, enabled user to `g.user` (None otherwise); enforce expiry."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    now = time.time()
    if now - session.get("seen_at", 0) > IDLE_MINUTES * 60 or now - session.get("login_at", 0) > ABSOLUTE_HOURS * 3600:
        session.clear()
        return
    user = get_user(current_app.extensions["ocrgate"].store, user_id)
    if user is None or user.disabled:
        session.clear()
        return
    session["seen_at"] = now
    g.user = user


def requires(role: str) -> Callable:
    """View decorator: signed in with at least `role` (viewer < operator < admin)."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if g.user is None:
                return redirect(url_for("admin.login", next=request.full_path))
            if not role_at_least(g.user.role, role):
                abort(403, description=f"this needs the {role} role; you are {g.user.role}")
            return view(*args, **kwargs)
        return wrapper
    return decorator


class LoginLimiter:
    """At most `attempts` failed logins per key in a sliding window."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW_SECONDS):
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque:
        failures = self._failures[key]
        while failures and now - failures[0] > self.window:
            failures.popleft()
        return failures

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return any(len(self._recent(k, now)) >= self.attempts for k in keys)

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
