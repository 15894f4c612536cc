"""Mount the admin and analyst pages on the service's Flask app."""

from __future__ import annotations

import os
import secrets

from flask import Flask, g, render_template, request

from accounts.roles import role_at_least
from accounts.sessions import Lifetimes
from dashboards.security import check_csrf, csrf_token, load_user
from dashboards.views_admin import admin
from dashboards.views_analysis import analysis
from dashboards.views_labelling import labelling
from dashboards.views_users import users
from kernel.settings import data_dir


def secret_key(configured: str | None) -> str:
    """`OCRGATE_SECRET_KEY`, else one generated once and kept (mode 0600) in the user data dir, so
    sessions survive restarts. Several processes behind a load balancer must share the env value."""
    if configured:
        return configured
    path = data_dir() / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def register_dashboards(app: Flask, configured_secret: str | None, secure_cookies: bool = False) -> None:
    """Mount the admin on `app`; `secure_cookies` (OCRGATE_SECURE_COOKIES) marks the session cookie Secure."""
    app.secret_key = secret_key(configured_secret)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="ocrgate_admin",
        SESSION_COOKIE_SECURE=secure_cookies,
        PERMANENT_SESSION_LIFETIME=Lifetimes.from_settings().absolute,
    )
    for blueprint in (admin, analysis, labelling, users):
        app.register_blueprint(blueprint)

    @app.before_request
    def admin_guard():
        if request.path.startswith("/admin"):
            load_user()
            check_csrf()

    @app.after_request
    def admin_headers(response):
        if request.path.startswith("/admin"):
            response.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                "frame-ancestors 'none'; form-action 'self'",
            )
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    def kill_targets():
        """Gates that a kill would change (live and not already killed), for the header on every page."""
        service = app.extensions["ocrgate"]
        return [gate for gate in service.snapshot.gates().values() if not gate.killed and gate.stage.value != "off"]

    def can(role: str) -> bool:
        """Whether the signed-in user holds at least `role` (what a page offers; the views enforce it)."""
        user = getattr(g, "user", None)
        return user is not None and role_at_least(user.role, role)

    app.jinja_env.globals.update(csrf_token=csrf_token, kill_targets=kill_targets, can=can)

    @app.errorhandler(403)
    def forbidden(exc):
        if not request.path.startswith("/admin"):
            return {"error": exc.description, "type": "Forbidden"}, 403
        return render_template("error.html", status=403, message=exc.description), 403
