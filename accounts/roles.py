"""The admin roles, weakest first: each role can do what the ones before it can.

A labeller only reads word crops (`/admin/label`); everything else starts at viewer."""

from __future__ import annotations

ROLES = ("labeller", "viewer", "operator", "admin")


def role_at_least(role: str, needed: str) -> bool:
    return ROLES.index(role) >= ROLES.index(needed)
