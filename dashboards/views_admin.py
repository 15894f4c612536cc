"""Ops pages: sign in and out, gates with their traffic, guarded changes, the kill switch, audit."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from accounts.login_limits import LOGIN_WINDOW, LoginLimiter, login_keys
from accounts.users import authenticate, role_at_least
from dashboards.queries import audit_actions, audit_entries, gate_counts
from dashboards.redirects import same_site_path
from dashboards.security import requires, sign_in, sign_out
from kernel.errors import AuthError, GateConflictError, OcrInputError, RampRefusedError
from kernel.settings import finite_number, whole_number
from rollout.gate_store import GateChange, change_gate, get_gate, kill_gate, load_gates, preview_change
from rollout.gates import STAGES
from rollout.guard import RampGuard

admin = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates",
                  static_folder="static", static_url_path="/static")


def store():
    return current_app.extensions["ocrgate"].store


def refresh_snapshot() -> None:
    current_app.extensions["ocrgate"].snapshot.refresh()


@admin.route("/login", methods=["GET", "POST"])
def login():
    next_url = same_site_path(request.values.get("next"), url_for("admin.index"))
    if request.method == "POST":
        username = request.form.get("username", "")
        keys = login_keys(request.remote_addr, username)
        limiter = LoginLimiter(store())
        if not limiter.admit(*keys):  # counted before the password is checked
            flash(f"too many sign-ins; try again in {LOGIN_WINDOW.seconds // 60} minutes", "error")
            return render_template("login.html", next=next_url), 429
        try:
            user = authenticate(store(), username, request.form.get("password", ""))
        except AuthError as exc:
            flash(str(exc), "error")
            return render_template("login.html", next=next_url), 401
        limiter.clear(*keys)
        sign_in(user.id)
        return redirect(next_url)
    return render_template("login.html", next=next_url)


@admin.post("/logout")
def logout():
    sign_out()
    return redirect(url_for("admin.login"))


@admin.get("/")
@requires("viewer")
def index():
    with store().session() as session:
        gates = load_gates(session)
        rows = [{"gate": gate, "counts": gate_counts(session, gate.name, gate.candidate)} for gate in gates.values()]
    return render_template("index.html", rows=rows)


@admin.get("/gates/<name>")
@requires("viewer")
def gate(name: str):
    config = get_gate(store(), name)
    with store().session() as session:
        entries = audit_entries(session, gate=name, limit=20)
    return render_template("gate.html", gate=config, stages=STAGES, entries=entries,
                           can_edit=role_at_least(g.user.role, "operator"))


def _lines(field: str) -> list[str]:
    return [line.strip() for line in request.form.get(field, "").splitlines() if line.strip()]


def _percent(field: str) -> float | None:
    raw = request.form.get(field, "").strip()
    if raw == "":
        return None
    return finite_number(raw, field.replace("_", " "), 0, 100)


def _change_from_form() -> GateChange:
    return GateChange(stage=request.form.get("stage") or None, percent=_percent("percent"),
                      shadow_percent=_percent("shadow_percent"), aa_percent=_percent("aa_percent"),
                      allow_units=_lines("allow_units"), deny_units=_lines("deny_units"),
                      categories=_lines("categories"))


def _version() -> int:
    raw = request.form.get("version", "")
    if raw == "":
        raise OcrInputError("the form is missing the gate version; reload the page")
    return whole_number(raw, "version", 1, 2**62,
                        error=lambda _: OcrInputError("the form's gate version is not valid; reload the page"))


def _describe_for_diff(config) -> dict:
    return {"stage": "KILLED" if config.killed else config.stage.value, "percent": config.percent,
            "shadow percent": config.shadow_bp / 100, "A/A percent": config.aa_bp / 100,
            "allow": ", ".join(sorted(config.allow_units)), "deny": ", ".join(sorted(config.deny_units)),
            "categories": ", ".join(sorted(config.categories)) or "all"}


def _form_error(name: str, message: str, status: int):
    flash(message, "error")
    config = get_gate(store(), name)
    with store().session() as session:
        entries = audit_entries(session, gate=name, limit=20)
    return render_template("gate.html", gate=config, stages=STAGES, entries=entries, can_edit=True), status


@admin.post("/gates/<name>/preview")
@requires("operator")
def preview(name: str):
    try:
        version = _version()
        old, new, findings = preview_change(store(), name, _change_from_form(), RampGuard(store()))
    except OcrInputError as exc:
        return _form_error(name, str(exc), 400)
    if old.version != version:
        return _form_error(name, f"{name} changed while you were editing (now version {old.version}); "
                                 "review its current state and edit again", 409)
    before, after = _describe_for_diff(old), _describe_for_diff(new)
    changes = [(key, before[key], after[key]) for key in before if before[key] != after[key]]
    return render_template("preview.html", old=old, changes=changes, findings=findings,
                           refused=any(not f["ok"] for f in findings), form=request.form)


@admin.post("/gates/<name>/apply")
@requires("operator")
def apply(name: str):
    try:
        change_gate(store(), name, _change_from_form(), g.user.username,
                    reason=request.form.get("reason") or None, expected_version=_version(),
                    override_reason=request.form.get("override_reason") or None, guard=RampGuard(store()))
    except GateConflictError as exc:
        return _form_error(name, f"Not saved: {exc}", 409)
    except RampRefusedError as exc:
        return _form_error(name, f"Not saved: {exc}", 409)
    except OcrInputError as exc:
        return _form_error(name, f"Not saved: {exc}", 400)
    refresh_snapshot()
    flash(f"{name} updated", "ok")
    return redirect(url_for("admin.gate", name=name))


@admin.post("/gates/<name>/kill")
@requires("operator")
def kill(name: str):
    kill_gate(store(), name, g.user.username, request.form.get("reason") or "kill switch in the admin")
    refresh_snapshot()
    flash(f"{name} killed: the control serves all traffic", "ok")
    return redirect(request.referrer if request.referrer and request.referrer.startswith(request.host_url)
                    else url_for("admin.gate", name=name))


@admin.get("/audit")
@requires("viewer")
def audit():
    with store().session() as session:
        entries = audit_entries(session, request.args.get("gate") or None, request.args.get("actor") or None,
                                request.args.get("action") or None)
        actions = audit_actions(session)
    return render_template("audit.html", entries=entries, actions=actions)
