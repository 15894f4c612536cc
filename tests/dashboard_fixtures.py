"""A live service with admin users, a gate, real paired traffic and benchmark evidence."""

from __future__ import annotations

import io
import json
import re
import threading

import pytest
from werkzeug.serving import make_server

from accounts.users import create_user
from engines.registry import get_engine
from rollout.gate_store import GateChange, change_gate, create_gate
from service.app import create_app
from service.settings import ServiceSettings
from tests.conftest import render_text

PASSWORDS = {"ops": "operator password 1", "ops2": "operator password 2", "viv": "viewer password 1",
             "boss": "admin password 123", "lena": "labeller password 1", "omar": "labeller password 2"}
ROLES = {"ops": "operator", "ops2": "operator", "viv": "viewer", "boss": "admin", "lena": "labeller",
         "omar": "labeller"}


def evidence(path, control: str, candidate: str, verdict: str = "not distinguishable") -> None:
    """A lab-notebook entry in which `candidate` is not worse than `control` at today's versions."""
    entry = {"id": 1, "kind": "eval", "at": "2026-11-25T00:00:00", "git_commit": "test", "run_id": "t",
             "sets": [{"name": "dev", "content_hash": "abc", "n": 3, "path": "/dev"}],
             "engines": [{"name": e, "version": get_engine(e).version} for e in (control, candidate)],
             "headline": {e: {"all": {"n": 3, "failures": 0, "aligned_cer": 0.1, "aligned_cer_ci95": [0.05, 0.15],
                                      "seconds_per_page": 1.0}} for e in (control, candidate)},
             "verdicts": [{"control": control, "candidate": candidate, "category": category, "n": 40, "delta": 0.0,
                           "delta_ci95": [-0.01, 0.01], "p_value": 1.0, "p_adjusted": 1.0, "verdict": verdict}
                          for category in ("register_tapes", "all")]}
    path.write_text(json.dumps(entry) + "\n")


def page_png(lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    render_text(lines, size=30).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def live_admin(tmp_path, monkeypatch):
    notebook = tmp_path / "lab.jsonl"
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(notebook))
    evidence(notebook, "tesseract", "tesseract-block")
    # a small deployment: one pair per category is evidence enough, latency is not guarded
    monkeypatch.setenv("OCRGATE_GUARD_MIN_PAIRS", "1")
    monkeypatch.setenv("OCRGATE_GUARD_MAX_LATENCY_RATIO", "100")
    app = create_app(ServiceSettings(database_url=f"sqlite:///{tmp_path / 'admin.db'}", secret_key="k" * 64,
                                     auto_rollback=False, shadow_timeout=60, serve_timeout=60))
    service = app.extensions["ocrgate"]
    for name, password in PASSWORDS.items():
        create_user(service.store, name, password, ROLES[name])
    create_gate(service.store, "ocr-engine", "tesseract", "tesseract-block", actor="setup")
    change_gate(service.store, "ocr-engine", GateChange(stage="shadow", aa_percent=0), actor="setup")
    service.snapshot.refresh()
    service.router.serve(page_png(["TOTAL 12.90", "CASH 20.00", "CHANGE 7.10"]), unit="shop-1",
                         category="register_tapes")
    assert service.shadows.drain(60)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    service.close()


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login_client(app, username: str):
    """A Flask test client signed in as `username`."""
    client = app.test_client()
    token = csrf_from(client.get("/admin/login").text)
    response = client.post("/admin/login", data={"username": username, "password": PASSWORDS[username],
                                                  "csrf_token": token})
    assert response.status_code == 302, response.text
    return client
