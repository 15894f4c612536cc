"""The OpenAPI description: a valid 3.1 document that names exactly the app's routes, and a real
request for every status code of every operation, each body checked against its schema."""

from __future__ import annotations

import json
import re
import time

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from sqlalchemy.exc import OperationalError

from accounts.tokens import create_token
from engines.registry import register_engine, unregister_engine
from kernel.errors import EngineUnavailableError
from rollout.gate_store import GateChange, change_gate, create_gate
from service.openapi import document
from tests.rollout_fixtures import png_bytes
from tests.service.http import fetch, multipart

#: what the description leaves out: the admin (HTML pages, its own security model) and static files
UNDOCUMENTED = ("/admin", "/static")


def test_the_document_is_valid_openapi_3_1(served_app):
    _, base, _ = served_app
    status, body, _ = fetch(base, "GET", "/v1/openapi.json")
    assert status == 200 and json.loads(body) == document()
    validate(document())


def test_the_document_names_exactly_the_routes_the_app_has(served_app):
    app, _, _ = served_app
    routes = {(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if not rule.rule.startswith(UNDOCUMENTED)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method) for path, item in document()["paths"].items() for method in item}
    assert routes == documented


def _resolved(schema):
    """`schema` with every `#/components/…` reference replaced by what it names."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            target = document()
            for part in schema["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return _resolved(target)
        return {key: _resolved(value) for key, value in schema.items()}
    return [_resolved(item) for item in schema] if isinstance(schema, list) else schema


class Caller:
    """Requests against the served app, with the tokens and gates the cases need."""

    def __init__(self, served_app):
        self.app, self.base, self.admin = served_app
        self.service = self.app.extensions["ocrgate"]
        store = self.service.store
        self.ocr = create_token(store, "ocr-only", ["ocr"])
        self.read = create_token(store, "read-only", ["read"])
        self.metrics = create_token(store, "prometheus", ["metrics"])
        create_gate(store, "crashing", "crashy", "alpha", actor="test")
        change_gate(store, "crashing", GateChange(stage="shadow", aa_percent=0), actor="test")
        self.service.snapshot.refresh()

    def form(self, method, path, file_field, token, data=None, **fields):
        body, headers = multipart(file_field, png_bytes() if data is None else data, **fields)
        return fetch(self.base, method, path, token=token, body=body, headers=headers)

    def too_large(self, path, file_field):
        limit = self.app.config["MAX_CONTENT_LENGTH"]
        self.app.config["MAX_CONTENT_LENGTH"] = 1000
        try:
            return self.form("POST", path, file_field, self.admin, data=b"\0" * 5000)
        finally:
            self.app.config["MAX_CONTENT_LENGTH"] = limit

    def finished_job(self, **fields) -> str:
        """A job's URL once it is done (a page of the `crashing` gate fails)."""
        _, body, headers = self.form("POST", "/v1/jobs", "document", self.admin, **fields)
        for _ in range(600):
            status, data, _ = fetch(self.base, "GET", headers["Location"], token=self.admin)
            if json.loads(data)["status"] == "done":
                return headers["Location"]
            time.sleep(0.1)
        raise AssertionError("the job did not finish")

    def _gate(self, name: str, control: str) -> None:
        create_gate(self.service.store, name, control, "alpha", actor="test")
        change_gate(self.service.store, name, GateChange(stage="shadow", aa_percent=0), actor="test")
        self.service.snapshot.refresh()

    def control_hangs(self):
        """The gate's control is `sleepy` (it hangs until the test ends), with a serve timeout of
        half a second: the engine's deadline passes, so 504."""
        self._gate("hanging", "sleepy")
        router = self.service.router
        timeout, router.serve_timeout = router.serve_timeout, 0.5
        try:
            return self.form("POST", "/v1/ocr", "image", self.ocr, gate="hanging")
        finally:
            router.serve_timeout = timeout

    def control_unavailable(self):
        """The gate's control cannot load (its weights are missing): 503."""

        def weightless():
            raise EngineUnavailableError("engine 'weightless': its weights are missing")

        register_engine("weightless", weightless)
        try:
            self._gate("unloadable", "weightless")
            return self.form("POST", "/v1/ocr", "image", self.ocr, gate="unloadable")
        finally:
            unregister_engine("weightless")

    def unhealthy(self):
        def broken():
            raise OperationalError("SELECT 1", {}, Exception("the database is down"))

        session, self.service.store.session = self.service.store.session, broken
        try:
            return fetch(self.base, "GET", "/healthz")
        finally:
            self.service.store.session = session


#: (path, method, status) → a request that gets that status
CASES = {
    ("/v1/ocr", "post", "200"): lambda c: c.form("POST", "/v1/ocr", "image", c.ocr),
    ("/v1/ocr", "post", "400"): lambda c: c.form("POST", "/v1/ocr", "image", c.ocr, mode="sideways"),
    ("/v1/ocr", "post", "401"): lambda c: c.form("POST", "/v1/ocr", "image", None),
    ("/v1/ocr", "post", "403"): lambda c: c.form("POST", "/v1/ocr", "image", c.read),
    ("/v1/ocr", "post", "413"): lambda c: c.too_large("/v1/ocr", "image"),
    ("/v1/ocr", "post", "502"): lambda c: c.form("POST", "/v1/ocr", "image", c.ocr, gate="crashing"),
    ("/v1/ocr", "post", "503"): lambda c: c.control_unavailable(),
    ("/v1/ocr", "post", "504"): lambda c: c.control_hangs(),
    ("/v1/gates", "get", "200"): lambda c: fetch(c.base, "GET", "/v1/gates", token=c.read),
    ("/v1/gates", "get", "401"): lambda c: fetch(c.base, "GET", "/v1/gates"),
    ("/v1/gates", "get", "403"): lambda c: fetch(c.base, "GET", "/v1/gates", token=c.ocr),
    ("/v1/pairs", "get", "200"): lambda c: fetch(c.base, "GET", "/v1/pairs?limit=5", token=c.read),
    ("/v1/pairs", "get", "400"): lambda c: fetch(c.base, "GET", "/v1/pairs?limit=0", token=c.read),
    ("/v1/pairs", "get", "401"): lambda c: fetch(c.base, "GET", "/v1/pairs", token="ocg_not-a-token"),
    ("/v1/pairs", "get", "403"): lambda c: fetch(c.base, "GET", "/v1/pairs", token=c.ocr),
    ("/v1/search", "get", "200"): lambda c: fetch(c.base, "GET", "/v1/search?q=hello", token=c.admin),
    ("/v1/search", "get", "400"): lambda c: fetch(c.base, "GET", "/v1/search?q=", token=c.admin),
    ("/v1/search", "get", "401"): lambda c: fetch(c.base, "GET", "/v1/search?q=hello"),
    ("/v1/search", "get", "403"): lambda c: fetch(c.base, "GET", "/v1/search?q=hello", token=c.read),
    ("/v1/traffic", "get", "200"): lambda c: fetch(c.base, "GET", "/v1/traffic", token=c.read),
    ("/v1/traffic", "get", "400"): lambda c: fetch(c.base, "GET", "/v1/traffic?hours=0", token=c.read),
    ("/v1/traffic", "get", "401"): lambda c: fetch(c.base, "GET", "/v1/traffic"),
    ("/v1/traffic", "get", "403"): lambda c: fetch(c.base, "GET", "/v1/traffic", token=c.ocr),
    ("/v1/jobs", "post", "202"): lambda c: c.form("POST", "/v1/jobs", "document", c.ocr),
    ("/v1/jobs", "post", "400"): lambda c: c.form("POST", "/v1/jobs", "document", c.ocr, data=b"not an image"),
    ("/v1/jobs", "post", "401"): lambda c: c.form("POST", "/v1/jobs", "document", None),
    ("/v1/jobs", "post", "403"): lambda c: c.form("POST", "/v1/jobs", "document", c.read),
    ("/v1/jobs", "post", "413"): lambda c: c.too_large("/v1/jobs", "document"),
    ("/v1/jobs/{job_id}", "get", "200"): lambda c: fetch(c.base, "GET", c.finished_job(), token=c.admin),
    ("/v1/jobs/{job_id}", "get", "400"): lambda c: fetch(c.base, "GET", "/v1/jobs/x?format=doc", token=c.ocr),
    ("/v1/jobs/{job_id}", "get", "401"): lambda c: fetch(c.base, "GET", "/v1/jobs/x"),
    ("/v1/jobs/{job_id}", "get", "403"): lambda c: fetch(c.base, "GET", "/v1/jobs/x", token=c.read),
    ("/v1/jobs/{job_id}", "get", "404"): lambda c: fetch(c.base, "GET", "/v1/jobs/x", token=c.ocr),
    ("/v1/jobs/{job_id}", "get", "409"): lambda c: fetch(c.base, "GET", c.finished_job(gate="crashing") + "?format=pdf",
                                                         token=c.admin),
    ("/v1/openapi.json", "get", "200"): lambda c: fetch(c.base, "GET", "/v1/openapi.json"),
    ("/healthz", "get", "200"): lambda c: fetch(c.base, "GET", "/healthz"),
    ("/healthz", "get", "503"): lambda c: c.unhealthy(),
    ("/metrics", "get", "200"): lambda c: fetch(c.base, "GET", "/metrics", token=c.metrics),
    ("/metrics", "get", "401"): lambda c: fetch(c.base, "GET", "/metrics"),
    ("/metrics", "get", "403"): lambda c: fetch(c.base, "GET", "/metrics", token=c.admin),
}


def test_every_documented_status_has_a_case():
    documented = {(path, method, status) for path, item in document()["paths"].items()
                  for method, operation in item.items() for status in operation["responses"]}
    assert documented == set(CASES)


@pytest.mark.parametrize("path, method, status", sorted(CASES), ids=lambda part: str(part))
def test_every_documented_status_of_every_operation(served_app, path, method, status):
    answered, body, headers = CASES[path, method, status](Caller(served_app))
    assert str(answered) == status, body[:300]
    response = document()["paths"][path][method]["responses"][status]
    content_type = headers["Content-Type"].split(";")[0]
    assert content_type in response["content"], content_type
    schema = response["content"][content_type].get("schema")
    if schema is not None and content_type == "application/json":
        Draft202012Validator(_resolved(schema)).validate(json.loads(body))
    if "Error" in json.dumps(response):  # every error body names its request
        assert json.loads(body)["request_id"] == headers["X-Request-Id"]
