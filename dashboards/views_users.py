"""User management for admins: accounts, roles, and the sessions signed in now."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from accounts.sessions import Lifetimes, live_sessions, revoke_session
from accounts.users import ROLES, create_user, list_users, update_user
from dashboards.security import requires
from kernel.errors import OcrInputError

users = Blueprint("users", __name__, url_prefix="/admin/users", template_folder="templates")


def store():
    return current_app.extensions["ocrgate"].store


def _page(status: int = 200):
    return render_template(
        "users.html", users=list_users(store()), roles=ROLES, sessions=live_sessions(store(), Lifetimes.from_settings())
    ), status


@users.get("/")
@requires("admin")
def index():
    return _page()


@users.post("/")
@requires("admin")
def create():
    try:
        create_user(
            store(),
            request.form.get("username", ""),
            request.form.get("password", ""),
            request.form.get("role", "viewer"),
        )
        flash(f"user {request.form.get('username')} created", "ok")
    except OcrInputError as exc:
        flash(str(exc), "error")
        return _page(400)
    return redirect(url_for("users.index"))


@users.post("/<username>")
@requires("admin")
def update(username: str):
    if username == g.user.username and (request.form.get("role") != "admin" or request.form.get("disabled")):
        flash("you cannot demote or disable yourself", "error")
        return _page(400)
    try:
        update_user(store(), username, role=request.form.get("role"), disabled=bool(request.form.get("disabled")))
    except OcrInputError as exc:
        flash(str(exc), "error")
        return _page(400)
    flash(f"user {username} updated", "ok")
    return redirect(url_for("users.index"))


@users.post("/sessions/<int:session_id>/revoke")
@requires("admin")
def revoke(session_id: int):
    try:
        revoke_session(store(), session_id)
    except OcrInputError as exc:
        flash(str(exc), "error")
        return _page(404)
    flash(f"session {session_id} ended", "ok")
    return redirect(url_for("users.index"))
