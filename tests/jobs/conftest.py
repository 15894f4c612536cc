"""The service with its job API served over real HTTP (embedded back end, SQLite in a temp folder),
with Tesseract as the gate's control, `tesseract-block` shadowing it, and the jail's limits small."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from accounts.tokens import create_token
from engines.registry import unregister_engine
from rollout.gate_store import GateChange, change_gate, create_gate
from service.app import create_app
from service.settings import ServiceSettings
from tests.jobs import engines
from tests.jobs.documents import JobsClient

JAIL_ENVIRONMENT = {"OCRGATE_JAIL_MEMORY_MB": "1536", "OCRGATE_JAIL_CPU_SECONDS": "3",
                    "OCRGATE_CALLBACK_HOSTS": "127.0.0.1"}


@pytest.fixture
def jail_environment(monkeypatch):
    for name, value in JAIL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    names = engines.register()
    yield
    for name in names:
        unregister_engine(name)


def shadowed_gate(store) -> None:
    """`ocr-engine`: Tesseract serves, `tesseract-block` shadows every request (no A/A lane)."""
    create_gate(store, "ocr-engine", "tesseract", "tesseract-block", actor="test")
    change_gate(store, "ocr-engine", GateChange(stage="shadow", aa_percent=0), actor="test")


@pytest.fixture
def jobs_service(tmp_path, jail_environment):
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'jobs.db'}", default_engine="tesseract",
                               shadow_timeout=30, serve_timeout=30, auto_rollback=False)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    service = app.extensions["ocrgate"]
    shadowed_gate(service.store)
    service.snapshot.refresh()
    base = f"http://127.0.0.1:{server.server_port}"
    yield service, JobsClient(base, create_token(service.store, "tests", ["ocr", "read"]))
    server.shutdown()
    service.close()
