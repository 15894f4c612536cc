"""Admin users: Argon2id password hashes, four roles, managed from the CLI and the admin pages."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from accounts.roles import ROLES, role_at_least
from accounts.sessions import end_sessions_of
from kernel.errors import AuthError, OcrInputError
from rollout.store import Store
from rollout.store.models import User, utcnow

__all__ = ["ROLES", "authenticate", "create_user", "get_user", "list_users", "role_at_least", "update_user"]

MIN_PASSWORD = 12
_hasher = PasswordHasher()
#: verified against when the user does not exist, so timing does not reveal which usernames exist
_DUMMY_HASH = _hasher.hash("not a real password, only here for timing")


def _check_username(username: str) -> str:
    username = username.strip()
    if not 1 <= len(username) <= 64 or not all(c.isalnum() or c in "-_.@" for c in username):
        raise OcrInputError("username must be 1-64 letters, digits, '-', '_', '.' or '@'")
    return username


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise OcrInputError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise OcrInputError(f"password must be at least {MIN_PASSWORD} characters")
    return password


def create_user(store: Store, username: str, password: str, role: str) -> None:
    username, role, password = _check_username(username), _check_role(role), _check_password(password)
    with store.session() as session:
        if session.scalars(select(User).where(User.username == username)).first():
            raise OcrInputError(f"user {username!r} exists")
        session.add(User(username=username, password_hash=_hasher.hash(password), role=role))


def authenticate(store: Store, username: str, password: str) -> User:
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username.strip())).first()
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            raise AuthError("wrong username or password") from None
        if user is None or user.disabled:
            raise AuthError("wrong username or password")
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = _hasher.hash(password)
        user.last_login_at = utcnow()
        return user


def get_user(store: Store, user_id: int) -> User | None:
    with store.session() as session:
        return session.get(User, user_id)


def list_users(store: Store) -> list[User]:
    with store.session() as session:
        return list(session.scalars(select(User).order_by(User.username)))


def update_user(
    store: Store, username: str, *, role: str | None = None, disabled: bool | None = None, password: str | None = None
) -> None:
    """Change a user; a new role, a new password or disabling ends every session they have."""
    with store.session() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise OcrInputError(f"no user {username!r}")
        access_changed = (
            password is not None or (role is not None and role != user.role) or (disabled is True and not user.disabled)
        )
        if role is not None:
            user.role = _check_role(role)
        if disabled is not None:
            user.disabled = disabled
        if password is not None:
            user.password_hash = _hasher.hash(_check_password(password))
        if access_changed:
            end_sessions_of(session, user.id)
