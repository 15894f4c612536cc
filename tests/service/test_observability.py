"""Observability on a real server: request ids (in, out, in every error body, the admin's error page
and log records), the JSON access log, and `GET /metrics` (who may read it, and what it counts),
parsed with prometheus_client's own text parser."""

from __future__ import annotations

import json
import logging
import re
import threading

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from accounts.tokens import create_token
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.store.models import JobPage, ShadowJob
from service.app import create_app
from service.request_log import RequestIdFilter
from service.settings import ServiceSettings
from tests.rollout_fixtures import png_bytes
from tests.service.http import fetch, multipart, samples, value

SENT_ID = "client-id_42:x"
GENERATED = re.compile(r"[0-9a-f]{32}")


def _errors(token: str, ocr_only: str) -> list[tuple[str, str, dict, bytes | None, dict]]:
    body, headers = multipart("file", b"x")
    return [("GET", "/v1/gates", {}, None, {}), ("GET", "/v1/gates", {"token": ocr_only}, None, {}),
            ("POST", "/v1/ocr", {"token": token}, body, headers), ("GET", "/v1/jobs/nope", {"token": token}, None, {}),
            ("GET", "/v1/nope", {}, None, {}), ("GET", "/metrics", {}, None, {}),
            ("GET", "/v1/pairs?limit=0", {"token": token}, None, {})]


def test_a_sane_request_id_is_echoed_and_named_in_every_error_body(served_app):
    app, base, token = served_app
    ocr_only = create_token(app.extensions["ocrgate"].store, "ocr-only", ["ocr"])
    statuses = set()
    for method, path, auth, body, headers in _errors(token, ocr_only):
        status, data, answered = fetch(base, method, path, body=body, headers={**headers, "X-Request-Id": SENT_ID},
                                       **auth)
        error = json.loads(data)
        assert status >= 400 and answered["X-Request-Id"] == SENT_ID, (path, status)
        assert set(error) == {"error", "type", "request_id"} and error["request_id"] == SENT_ID, (path, error)
        statuses.add(status)
    assert statuses == {400, 401, 403, 404}


@pytest.mark.parametrize("sent", ["x" * 65, "has space", "caf\u00e9", "tab\there", ""])
def test_an_insane_request_id_is_replaced_by_a_new_one(served_app, sent):
    _, base, _ = served_app
    _, data, headers = fetch(base, "GET", "/v1/gates", headers={"X-Request-Id": sent.encode().decode("latin-1")})
    made = headers["X-Request-Id"]
    assert GENERATED.fullmatch(made) and made != sent and json.loads(data)["request_id"] == made
    assert fetch(base, "GET", "/healthz")[2]["X-Request-Id"] != made  # each request its own


def test_the_admin_error_page_names_the_request(served_app):
    _, base, _ = served_app
    status, page, headers = fetch(base, "POST", "/admin/logout", body=b"", headers={"X-Request-Id": SENT_ID})
    assert status == 403 and headers["X-Request-Id"] == SENT_ID
    assert f'<code id="request-id">{SENT_ID}</code>' in page.decode()


def test_one_json_access_log_line_per_request_without_the_query_string(served_app, caplog):
    _, base, token = served_app
    with caplog.at_level(logging.INFO, logger="ocrgate.access"):
        status, data, _ = fetch(base, "GET", "/v1/pairs?limit=5&secret=hunter2", token=token,
                                headers={"X-Request-Id": SENT_ID})
        fetch(base, "GET", "/v1/gates", headers={"X-Request-Id": "anonymous-1"})
    raw = [record.getMessage() for record in caplog.records if record.name == "ocrgate.access"]
    lines = [json.loads(line) for line in raw]
    assert status == 200 and not any("hunter2" in line for line in raw)
    mine = [line for line in lines if line["request_id"] == SENT_ID]
    assert len(mine) == 1
    line = mine[0]
    assert set(line) == {"time", "request_id", "method", "path", "status", "duration_ms", "client", "bytes"}
    assert (line["method"], line["path"], line["status"], line["client"], line["bytes"]) == (
        "GET", "/v1/pairs", 200, "tests", len(data))
    assert line["duration_ms"] >= 0
    anonymous = [line for line in lines if line["request_id"] == "anonymous-1"]
    assert [(line["status"], line["client"]) for line in anonymous] == [(401, None)]


def test_log_records_written_for_a_request_carry_its_id(served_app):
    _, base, _ = served_app
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    handler.addFilter(RequestIdFilter())
    access = logging.getLogger("ocrgate.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        fetch(base, "GET", "/healthz", headers={"X-Request-Id": SENT_ID})
    finally:
        access.removeHandler(handler)
    assert [record.request_id for record in records] == [SENT_ID]  # type: ignore[attr-defined]
    outside = logging.LogRecord("x", logging.INFO, __file__, 1, "not in a request", None, None)
    RequestIdFilter().filter(outside)
    assert outside.request_id == "-"  # type: ignore[attr-defined]


# --- /metrics ----------------------------------------------------------------------------------------


def test_metrics_need_a_token_with_the_metrics_scope(served_app):
    app, base, token = served_app
    store = app.extensions["ocrgate"].store
    assert fetch(base, "GET", "/metrics")[0] == 401
    assert fetch(base, "GET", "/metrics", token=token)[0] == 403  # ocr, read and admin: not metrics
    status, body, headers = fetch(base, "GET", "/metrics", token=create_token(store, "prometheus", ["metrics"]))
    assert status == 200 and headers["Content-Type"].startswith("text/plain") and samples(body)


def test_metrics_count_requests_and_engine_runs_and_read_the_queues_from_the_store(served_app):
    app, base, token = served_app
    service = app.extensions["ocrgate"]
    scraper = create_token(service.store, "prometheus", ["metrics"])
    before = samples(fetch(base, "GET", "/metrics", token=scraper)[1])
    body, headers = multipart("image", png_bytes(shade=3), unit="u", category="c")
    assert fetch(base, "POST", "/v1/ocr", token=token, body=body, headers=headers)[0] == 200
    assert fetch(base, "GET", "/v1/jobs/nope", token=token)[0] == 404
    assert fetch(base, "GET", "/no/such/path")[0] == 404
    assert service.shadows.drain(60)
    after = samples(fetch(base, "GET", "/metrics", token=scraper)[1])

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("ocrgate_http_requests_total", endpoint="/v1/ocr", method="POST", status="200") == 1
    assert grew("ocrgate_http_requests_total", endpoint="/v1/jobs/<job_id>", method="GET", status="404") == 1
    assert grew("ocrgate_http_requests_total", endpoint="unmatched", method="GET", status="404") == 1
    assert grew("ocrgate_http_request_duration_seconds_count", endpoint="/v1/ocr") == 1
    assert grew("ocrgate_engine_runs_total", engine="alpha", outcome="ok") == 1  # served
    assert grew("ocrgate_engine_runs_total", engine="beta", outcome="ok") == 1  # its shadow
    assert grew("ocrgate_engine_run_duration_seconds_count", engine="alpha") == 1
    with service.store.session() as session:
        pending = {status: session.scalar(select(func.count()).select_from(model).where(model.status == status))
                   for model, status in ((ShadowJob, "pending"), (JobPage, "pending"))}
    assert value(after, "ocrgate_shadow_backlog", status="pending") == pending["pending"]
    for name in ("ocrgate_shadow_backlog", "ocrgate_job_pages_queued"):
        assert {dict(labels)["status"] for sample, labels in after if sample == name} == {"pending", "running"}
    assert {dict(labels)["status"] for sample, labels in after if sample == "ocrgate_jobs_unfinished"} == {
        "queued", "running"}


def test_engine_run_errors_are_counted_by_engine_and_error(served_app):
    app, base, token = served_app
    service = app.extensions["ocrgate"]
    create_gate(service.store, "crashing", "alpha", "crashy", actor="test")
    change_gate(service.store, "crashing", GateChange(stage="shadow", aa_percent=0), actor="test")
    service.snapshot.refresh()
    scraper = create_token(service.store, "prometheus", ["metrics"])
    before = samples(fetch(base, "GET", "/metrics", token=scraper)[1])
    body, headers = multipart("image", png_bytes(shade=4), unit="u", category="c", gate="crashing")
    assert fetch(base, "POST", "/v1/ocr", token=token, body=body, headers=headers)[0] == 200
    assert service.shadows.drain(60)
    after = samples(fetch(base, "GET", "/metrics", token=scraper)[1])
    labels = {"engine": "crashy", "error": "EngineFailedError"}
    assert value(after, "ocrgate_engine_run_errors_total", **labels) - value(
        before, "ocrgate_engine_run_errors_total", **labels) == 1
    assert value(after, "ocrgate_engine_runs_total", engine="crashy", outcome="error") - value(
        before, "ocrgate_engine_runs_total", engine="crashy", outcome="error") == 1


@pytest.fixture
def loopback_app(tmp_path, test_engines):
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", default_engine="alpha",
                               auto_rollback=False, metrics_loopback=True)
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    app.extensions["ocrgate"].close()


def test_with_metrics_loopback_a_local_scraper_needs_no_token(loopback_app):
    status, body, _ = fetch(loopback_app, "GET", "/metrics")
    assert status == 200 and ("ocrgate_job_pages_queued", frozenset({("status", "pending")})) in samples(body)
