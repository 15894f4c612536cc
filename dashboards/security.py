"""Sessions, roles and CSRF protection for the admin (docs/security.md).

- The session cookie (signed, HttpOnly, SameSite=Lax) carries the secret of a server-side session
  (`accounts.sessions`) and the CSRF token; the server ends sessions (sign-out, revocation, a
  disabled user, a new password or role, idle and absolute lifetimes), so a copied cookie dies with
  its session. The user's role is re-read on every request.
- Every POST must carry the session's CSRF token (form field `csrf_token` or header
  `X-CSRF-Token`); otherwise 403 and nothing changes.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from accounts.sessions import Lifetimes, end_session, session_user, start_session
from accounts.users import role_at_least


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Abort with 403 unless a POST carries this session's CSRF token (compared as bytes: any text
    a client sends is a refusal, never an error)."""
    if request.method != "POST":
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        abort(403, description="missing or invalid CSRF token; reload the page and try again")


def _store():
    return current_app.extensions["ocrgate"].store


def sign_in(user_id: int) -> None:
    """A new server-side session for `user_id` in a fresh cookie (new CSRF token too)."""
    session.clear()
    session.permanent = True
    session["sid"] = start_session(_store(), user_id, Lifetimes.from_settings())
    csrf_token()


def sign_out() -> None:
    if "sid" in session:
        end_session(_store(), session["sid"])
    session.clear()


def load_user() -> None:
    """Attach the user of a live session to `g.user` (None otherwise)."""
    secret = session.get("sid")
    g.user = session_user(_store(), secret, Lifetimes.from_settings()) if isinstance(secret, str) else None
    if g.user is None and secret is not None:
        session.clear()


def requires(role: str) -> Callable:
    """View decorator: signed in with at least `role` (labeller < viewer < operator < admin)."""

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
