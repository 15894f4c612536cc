"""The service served for real over HTTP on a loopback port (werkzeug's threaded server, which
shuts down cleanly), SQLite in a temp folder."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from accounts.tokens import create_token
from rollout.gate_store import GateChange, change_gate, create_gate
from service.app import create_app
from service.client import ApiClient
from service.settings import ServiceSettings


@pytest.fixture
def served_app(tmp_path, test_engines):
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", default_engine="alpha",
                               shadow_timeout=5, serve_timeout=5, auto_rollback=False)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service = app.extensions["ocrgate"]
    create_gate(service.store, "ocr-engine", "alpha", "beta", actor="test")
    change_gate(service.store, "ocr-engine", GateChange(stage="shadow", aa_percent=0), actor="test")
    service.snapshot.refresh()
    base = f"http://127.0.0.1:{server.server_port}"
    yield app, base, create_token(service.store, "tests", ["ocr", "read", "admin"])
    server.shutdown()
    service.close()


@pytest.fixture
def client(served_app):
    _, base, token = served_app
    return ApiClient(base, token)
