"""User management for admins."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from accounts.users import ROLES, create_user, list_users, update_user
from dashboards.security import requires
from kernel.errors import OcrInputError

users = Blueprint("users", __name__, url_prefix="/admin/users", template_folder="templates")


def store():
    return current_app.extensions["ocrgate"].store


@users.get("/")
@requires("admin")
def index():
    return render_template("users.html", users=list_users(store()), roles=ROLES)


@users.post("/")
@requires("admin")
def create():
    try:
        create_user(store(), request.form.get("username", ""), request.form.get("password", ""),
                    request.form.get("role", "viewer"))
        flash(f"user {request.form.get('username')} created", "ok")
    except OcrInputError as exc:
        flash(str(exc), "error")
        return render_template("users.html", users=list_users(store()), roles=ROLES), 400
    return redirect(url_for("users.index"))


@users.post("/<username>")
@requires("admin")
def update(username: str):
    if username == g.user.username and (request.form.get("role") != "admin" or request.form.get("disabled")):
        flash("you cannot demote or disable yourself", "error")
        return render_template("users.html", users=list_users(store()), roles=ROLES), 400
    try:
        update_user(store(), username, role=request.form.get("role"), disabled=bool(request.form.get("disabled")))
    except OcrInputError as exc:
        flash(str(exc), "error")
        return render_template("users.html", users=list_users(store()), roles=ROLES), 400
    flash(f"user {username} updated", "ok")
    return redirect(url_for("users.index"))
