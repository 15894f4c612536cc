"""Roles, CSRF, sessions, login limits and every admin form's validation (Flask test client)."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import update

from rollout.gate_store import get_gate
from rollout.store.models import AdminSession, utcnow
from tests.dashboard_fixtures import PASSWORDS, csrf_from, login_client


def store_of(app):
    return app.extensions["ocrgate"].store


def test_pages_need_login(live_admin):
    app, _ = live_admin
    client = app.test_client()
    for path in ("/admin/", "/admin/gates/ocr-engine", "/admin/audit", "/admin/analysis/pairs"):
        response = client.get(path)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_wrong_password_and_rate_limit(live_admin):
    app, _ = live_admin
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").text)
    statuses = [client.post("/admin/login", data={"username": "viv", "password": "nope", "csrf_token": token},
                            environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    ok = client.post("/admin/login", data={"username": "viv", "password": PASSWORDS["viv"], "csrf_token": token},
                     environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert ok.status_code == 429  # still blocked for this address and user during the window


def test_login_post_without_csrf_is_refused(live_admin):
    app, _ = live_admin
    response = app.test_client().post("/admin/login", data={"username": "viv", "password": PASSWORDS["viv"]})
    assert response.status_code == 403


def test_viewer_can_look_but_not_change(live_admin):
    app, _ = live_admin
    client = login_client(app, "viv")
    page = client.get("/admin/gates/ocr-engine")
    assert page.status_code == 200 and 'id="change-form"' not in page.text and "Kill ocr-engine" not in page.text
    token = csrf_from(page.text)
    for path in ("/admin/gates/ocr-engine/preview", "/admin/gates/ocr-engine/apply", "/admin/gates/ocr-engine/kill"):
        assert client.post(path, data={"csrf_token": token, "version": "2", "stage": "on"}).status_code == 403
    assert client.get("/admin/users/").status_code == 403
    assert not get_gate(store_of(app), "ocr-engine").killed


def _change(client, **fields):
    token = csrf_from(client.get("/admin/gates/ocr-engine").text)
    data = {"csrf_token": token, "version": "2", "stage": "shadow", "percent": "0", "shadow_percent": "100",
            "aa_percent": "0", **fields}
    return client.post("/admin/gates/ocr-engine/apply", data=data)


@pytest.mark.parametrize("fields, message", [
    ({"percent": "150"}, "percent"),
    ({"percent": "abc"}, "must be a number"),
    ({"percent": "0.001"}, "steps of 0.01"),
    ({"stage": "sideways"}, "unknown stage"),
    ({"allow_units": "x", "deny_units": "x"}, "both allowed and denied"),
    ({"version": "x"}, "version"),
    ({"percent": "inf"}, "percent must be a number from 0 to 100"),
    ({"percent": "1e308"}, "percent must be a number from 0 to 100"),
    ({"shadow_percent": "nan"}, "shadow percent must be a number"),
    ({"aa_percent": "-inf"}, "aa percent must be a number"),
    ({"percent": "\u0665"}, "percent must be a number"),       # an Arabic-Indic five: float() reads it as 5
    ({"version": "\u00b2"}, "version"),                         # '²'.isdigit() is True, int('²') fails
])
def test_bad_form_input_is_refused_and_nothing_changes(live_admin, fields, message):
    app, _ = live_admin
    response = _change(login_client(app, "ops"), **fields)
    assert response.status_code == 400 and message in response.text
    assert get_gate(store_of(app), "ocr-engine").version == 2


def test_unknown_gate(live_admin):
    app, _ = live_admin
    client = login_client(app, "ops")
    assert client.get("/admin/gates/nope").status_code == 404
    token = csrf_from(client.get("/admin/").text)
    assert client.post("/admin/gates/nope/kill", data={"csrf_token": token}).status_code == 404


def test_stale_edit_from_a_second_operator_is_a_conflict(live_admin):
    app, _ = live_admin
    first, second = login_client(app, "ops"), login_client(app, "ops2")
    assert _change(first, shadow_percent="50").status_code == 302
    response = _change(second, shadow_percent="20")
    assert response.status_code == 409 and "changed by ops" in response.text
    gate = get_gate(store_of(app), "ocr-engine")
    assert gate.shadow_bp == 5000 and gate.version == 3


def test_guard_refusal_needs_a_written_override(live_admin, tmp_path, monkeypatch):
    app, _ = live_admin
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(tmp_path / "empty.jsonl"))
    client = login_client(app, "ops")
    response = _change(client, stage="rollout", percent="10")
    assert response.status_code == 409 and "no lab-notebook evaluation" in response.text
    assert _change(client, stage="rollout", percent="10", override_reason="short").status_code == 400
    done = _change(client, stage="rollout", percent="10", override_reason="ops lead approved during the incident")
    assert done.status_code == 302 and get_gate(store_of(app), "ocr-engine").percent == 10


def test_users_admin_and_self_protection(live_admin):
    app, _ = live_admin
    client = login_client(app, "boss")
    token = csrf_from(client.get("/admin/users/").text)
    assert client.post("/admin/users/", data={"csrf_token": token, "username": "new", "password": "short",
                                              "role": "viewer"}).status_code == 400
    assert client.post("/admin/users/", data={"csrf_token": token, "username": "new",
                                              "password": "long enough password", "role": "viewer"}).status_code == 302
    assert client.post("/admin/users/boss", data={"csrf_token": token, "role": "viewer"}).status_code == 400
    disabled = client.post("/admin/users/viv", data={"csrf_token": token, "role": "viewer", "disabled": "1"})
    assert disabled.status_code == 302
    viewer = app.test_client()
    token = csrf_from(viewer.get("/admin/login").text)
    assert viewer.post("/admin/login", data={"username": "viv", "password": PASSWORDS["viv"],
                                             "csrf_token": token}).status_code == 401


def test_sessions_expire_when_idle(live_admin):
    app, _ = live_admin
    client = login_client(app, "viv")
    assert client.get("/admin/").status_code == 200
    with store_of(app).session() as session:  # the session lives on the server: its last use, 31 minutes ago
        session.execute(update(AdminSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    assert client.get("/admin/").status_code == 302


def test_exports(live_admin):
    app, _ = live_admin
    client = login_client(app, "viv")
    as_json = client.get("/admin/analysis/pairs?format=json").get_json()
    assert len(as_json) == 1 and as_json[0]["control_engine"] == "tesseract"
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/analysis/pairs?format=csv").text)))
    assert len(rows) == 1 and rows[0]["served_text"] == "TOTAL 12.90\nCASH 20.00\nCHANGE 7.10"
    assert client.get("/admin/analysis/pairs?min_cer_percent=abc").status_code == 400


@pytest.mark.parametrize("query", ["hours=%C2%B2", "hours=0", "hours=abc", "min_cer_percent=inf"])
def test_bad_numbers_in_analysis_queries_are_a_400(live_admin, query):
    """Whole numbers are ASCII digits only ('²'.isdigit() is True but int('²') raises): a 400, never a 500."""
    app, _ = live_admin
    client = login_client(app, "viv")
    page = "pairs" if query.startswith("min_cer") else "traffic"
    response = client.get(f"/admin/analysis/{page}?{query}")
    assert response.status_code == 400, response.status_code
    assert "must be a" in response.text


def _first_party_imports(package: str) -> dict[str, set[str]]:
    import ast
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    ours = {p.name for p in repo.iterdir() if (p / "__init__.py").exists()}
    found: dict[str, set[str]] = {}
    for path in (repo / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            for name in names:
                if name.split(".")[0] in ours:
                    found.setdefault(name, set()).add(path.name)
    return found


def test_the_admin_imports_no_service_or_cli():
    """dashboards → rollout, evaluation, accounts, engines, imaging, kernel; never service or ocrgate."""
    for name, files in _first_party_imports("dashboards").items():
        assert name.split(".")[0] not in {"service", "ocrgate"}, f"{sorted(files)} import {name}"


def test_accounts_import_only_the_kernel_and_the_store():
    for name, files in _first_party_imports("accounts").items():
        assert name.split(".")[0] in {"accounts", "kernel"} or name.startswith("rollout.store"), \
            f"{sorted(files)} import {name}"
