"""Ops pages: sign in and out, gates with the evidence for their next step, guarded changes, schedules,
the kill switch (with a written reason), the audit log."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from accounts.login_limits import LOGIN_WINDOW, LoginLimiter, login_keys
from accounts.users import authenticate, role_at_least
from dashboards.audit_rows import audit_row
from dashboards.health import evidence, next_step, verdict
from dashboards.paging import page_args, pager
from dashboards.plots import error_rate_over_time, latency_over_time
from dashboards.queries import AUDIT_PAGE, audit_actions, audit_page, gate_counts
from dashboards.redirects import same_site_path
from dashboards.security import requires, sign_in, sign_out
from kernel.errors import AuthError, GateConflictError, OcrInputError, RampRefusedError
from kernel.settings import finite_number, whole_number
from rollout.gate_store import (
    MIN_OVERRIDE_REASON,
    GateChange,
    change_gate,
    get_gate,
    kill_gate,
    load_gates,
    preview_change,
)
from rollout.gates import DEFAULT_DWELL_MINUTES, DEFAULT_STEPS, STAGES
from rollout.guard import EvidenceRules, RampGuard
from rollout.schedule import get_schedule, set_schedule, stop_schedule
from rollout.store.models import utcnow
from rollout.traffic import run_samples

admin = Blueprint(
    "admin",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)
#: a kill must say why, like an override: a sentence, not "x"
MIN_KILL_REASON = MIN_OVERRIDE_REASON
RECENT_AUDIT = 20
#: the charts on a gate's page cover its last week unless `hours` says otherwise
CHART_HOURS = 7 * 24


def store():
    return current_app.extensions["ocrgate"].store


def refresh_snapshot() -> None:
    current_app.extensions["ocrgate"].snapshot.refresh()


@admin.route("/login", methods=["GET", "POST"])
def login():
    next_url = same_site_path(request.values.get("next"), "")
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
        # without a `next`: the gates, or for a labeller (who may open nothing else) the words to read
        return redirect(next_url or url_for("admin.index" if role_at_least(user.role, "viewer") else "labelling.label"))
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
    return gate_page(name)


def gate_page(name: str, status: int = 200):
    """The gate with the evidence for its next step, the guard's verdict, its schedule and charts."""
    config = get_gate(store(), name)
    schedule = get_schedule(store(), name)
    rules = EvidenceRules.from_settings()
    step = next_step(config, schedule, rules)
    hours = whole_number(request.args.get("hours", str(CHART_HOURS)), "hours", 1, 24 * 90)
    with store().session() as session:
        entries = audit_page(session, gate=name, limit=RECENT_AUDIT)[0]
        samples = run_samples(session, name, utcnow() - timedelta(hours=hours))
    engines = {"control": config.control, "candidate": config.candidate}
    return render_template(
        "gate.html",
        gate=config,
        stages=STAGES,
        audit_rows=[audit_row(e) for e in entries],
        schedule=schedule,
        verdict=verdict(store(), config, step),
        evidence=evidence(store(), config, step.rules if step else rules, step.since if step else None),
        charts=[error_rate_over_time(samples, engines), latency_over_time(samples, engines)] if samples else [],
        hours=hours,
        default_steps=" ".join(f"{s:g}" for s in DEFAULT_STEPS),
        default_dwell=DEFAULT_DWELL_MINUTES,
        default_pairs=rules.min_pairs,
        can_edit=role_at_least(g.user.role, "operator"),
    ), status


def _lines(field: str) -> list[str]:
    return [line.strip() for line in request.form.get(field, "").splitlines() if line.strip()]


def _percent(field: str) -> float | None:
    raw = request.form.get(field, "").strip()
    if raw == "":
        return None
    return finite_number(raw, field.replace("_", " "), 0, 100)


def _change_from_form() -> GateChange:
    return GateChange(
        stage=request.form.get("stage") or None,
        percent=_percent("percent"),
        shadow_percent=_percent("shadow_percent"),
        aa_percent=_percent("aa_percent"),
        allow_units=_lines("allow_units"),
        deny_units=_lines("deny_units"),
        categories=_lines("categories"),
    )


def _version() -> int:
    raw = request.form.get("version", "")
    if raw == "":
        raise OcrInputError("the form is missing the gate version; reload the page")
    return whole_number(
        raw, "version", 1, 2**62, error=lambda _: OcrInputError("the form's gate version is not valid; reload the page")
    )


def _describe_for_diff(config) -> dict:
    return {
        "stage": "KILLED" if config.killed else config.stage.value,
        "percent": config.percent,
        "shadow percent": config.shadow_bp / 100,
        "A/A percent": config.aa_bp / 100,
        "allow": ", ".join(sorted(config.allow_units)),
        "deny": ", ".join(sorted(config.deny_units)),
        "categories": ", ".join(sorted(config.categories)) or "all",
    }


def _form_error(name: str, message: str, status: int):
    flash(message, "error")
    return gate_page(name, status)


@admin.post("/gates/<name>/preview")
@requires("operator")
def preview(name: str):
    try:
        version = _version()
        old, new, findings = preview_change(store(), name, _change_from_form(), RampGuard(store()))
    except OcrInputError as exc:
        return _form_error(name, str(exc), 400)
    if old.version != version:
        return _form_error(
            name,
            f"{name} changed while you were editing (now version {old.version}); "
            "review its current state and edit again",
            409,
        )
    before, after = _describe_for_diff(old), _describe_for_diff(new)
    changes = [(key, before[key], after[key]) for key in before if before[key] != after[key]]
    return render_template(
        "preview.html",
        old=old,
        changes=changes,
        findings=findings,
        refused=any(not f["ok"] for f in findings),
        form=request.form,
    )


@admin.post("/gates/<name>/apply")
@requires("operator")
def apply(name: str):
    try:
        change_gate(
            store(),
            name,
            _change_from_form(),
            g.user.username,
            reason=request.form.get("reason") or None,
            expected_version=_version(),
            override_reason=request.form.get("override_reason") or None,
            guard=RampGuard(store()),
        )
    except GateConflictError as exc:
        return _form_error(name, f"Not saved: {exc}", 409)
    except RampRefusedError as exc:
        return _form_error(name, f"Not saved: {exc}", 409)
    except OcrInputError as exc:
        return _form_error(name, f"Not saved: {exc}", 400)
    refresh_snapshot()
    flash(f"{name} updated", "ok")
    return redirect(url_for("admin.gate", name=name))


@admin.get("/gates/<name>/kill")
@requires("operator")
def kill_form(name: str):
    return render_template("kill.html", gate=get_gate(store(), name), min_reason=MIN_KILL_REASON)


@admin.post("/gates/<name>/kill")
@requires("operator")
def kill(name: str):
    """The kill switch, once the operator has written why (audited with the kill)."""
    config = get_gate(store(), name)  # an unknown gate is a 404 before anything else
    reason = " ".join(request.form.get("reason", "").split())
    if len(reason) < MIN_KILL_REASON:
        flash(f"Not killed: write why, in at least {MIN_KILL_REASON} characters", "error")
        return render_template("kill.html", gate=config, min_reason=MIN_KILL_REASON), 400
    kill_gate(store(), name, g.user.username, reason)
    refresh_snapshot()
    flash(f"{name} killed: the control serves all traffic", "ok")
    return redirect(url_for("admin.gate", name=name))


def _steps(raw: str) -> list[float]:
    return [finite_number(step, "schedule step", 0, 100) for step in raw.replace(",", " ").split()]


@admin.post("/gates/<name>/schedule")
@requires("operator")
def schedule(name: str):
    """Give the gate a progressive rollout (replacing any); audited by `set_schedule`."""
    form = request.form
    try:
        pairs = form.get("min_pairs", "").strip()
        set_schedule(
            store(),
            name,
            g.user.username,
            steps=_steps(form.get("steps", "")),
            dwell_minutes=whole_number(form.get("dwell_minutes", "").strip(), "dwell minutes", 1, 30 * 24 * 60),
            min_pairs=whole_number(pairs, "pairs per category per step", 1, 10_000_000) if pairs else None,
            reason=form.get("reason") or None,
        )
    except OcrInputError as exc:
        return _form_error(name, f"Schedule not set: {exc}", 400)
    flash(f"{name} has a schedule: the gate monitor takes each step once its evidence is in", "ok")
    return redirect(url_for("admin.gate", name=name))


@admin.post("/gates/<name>/schedule/stop")
@requires("operator")
def stop(name: str):
    try:
        stop_schedule(store(), name, g.user.username, request.form.get("reason") or None)
    except (OcrInputError, GateConflictError) as exc:
        return _form_error(name, f"Schedule not stopped: {exc}", 409 if isinstance(exc, GateConflictError) else 400)
    flash(f"{name}'s schedule stopped; the gate stays where it is", "ok")
    return redirect(url_for("admin.gate", name=name))


@admin.get("/audit")
@requires("viewer")
def audit():
    cursor, limit = page_args(AUDIT_PAGE)
    with store().session() as session:
        entries, next_cursor = audit_page(
            session,
            request.args.get("gate") or None,
            request.args.get("actor") or None,
            request.args.get("action") or None,
            cursor=cursor,
            limit=limit,
        )
        actions = audit_actions(session)
    return render_template(
        "audit.html", audit_rows=[audit_row(e) for e in entries], actions=actions, pages=pager(next_cursor)
    )
