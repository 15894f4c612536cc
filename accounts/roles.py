"""The admin roles, weakest first: each role can do what the ones before it can."""

from __future__ import annotations

ROLES = ("viewer", "operator", "admin")


def role_at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)
