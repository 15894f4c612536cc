"""Signing in through the admin's own form, as a person does."""

from __future__ import annotations

from tests.dashboard_fixtures import PASSWORDS


def sign_in(page, base: str, username: str, lands_on: str = "/admin/") -> None:
    """Open `lands_on`, sign in as `username` on the form it leads to, and wait to be back there."""
    page.goto(base + lands_on)
    page.fill("#username", username)
    page.fill("#password", PASSWORDS[username])
    page.click("button[type=submit]")
    page.wait_for_url(base + lands_on)
