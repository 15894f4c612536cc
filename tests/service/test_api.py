"""The HTTP API over a real socket: auth, OCR with shadowing, pairs, gates, errors as JSON."""

from __future__ import annotations

import json
import time
from urllib import request

import pytest

from accounts.tokens import revoke_token
from service.client import ApiClient, ApiError
from tests.rollout_fixtures import png_bytes


def get_json(url: str, token: str | None = None) -> tuple[int, dict]:
    req = request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with request.urlopen(req, timeout=30) as response:
            return response.status, json.loads(response.read())
    except request.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_health_needs_no_token(served_app):
    _, base, _ = served_app
    status, body = get_json(base + "/healthz")
    assert status == 200 and body["database"] == "ok" and body["engines"]["alpha"] == "ok"


def test_api_needs_a_valid_token(served_app):
    app, base, token = served_app
    assert get_json(base + "/v1/gates")[0] == 401
    assert get_json(base + "/v1/gates", "ocg_wrong")[0] == 401
    assert get_json(base + "/v1/gates", token)[0] == 200
    revoke_token(app.extensions["ocrgate"].store, "tests")
    status, body = get_json(base + "/v1/gates", token)
    assert status == 401 and "revoked" in body["error"]


def test_ocr_is_served_by_control_and_the_pair_appears(served_app, client):
    app, _, _ = served_app
    answer = client.ocr(png_bytes(), unit="team-7", category="receipts")
    assert (answer["engine"], answer["text"], answer["decision"]) == ("alpha", "hello", "shadow")
    assert answer["result"]["pages"][0]["blocks"][0]["lines"][0]["words"][0]["text"] == "hello"
    assert app.extensions["ocrgate"].shadows.drain(10)
    pairs = client.pairs(limit=5)["pairs"]
    assert len(pairs) == 1 and pairs[0]["request_id"] == answer["request_id"]
    assert (pairs[0]["served"]["text"], pairs[0]["shadow"]["text"]) == ("hello", "hallo")
    assert pairs[0]["agreement"]["cer_between"] == pytest.approx(0.2)
    assert (pairs[0]["agreement"]["aligned_errors"], pairs[0]["agreement"]["aligned_length"]) == (1, 5)
    assert pairs[0]["agreement"]["aligned_disagreement"] == pytest.approx(0.2)
    assert client.pairs(limit=5, category="screenshots")["pairs"] == []


def test_gates_endpoint_shows_the_snapshot(client):
    gates = client.gates()["gates"]
    assert [(g["name"], g["stage"], g["candidate"]) for g in gates] == [("ocr-engine", "shadow", "beta")]
    assert "salt" not in gates[0]


@pytest.mark.parametrize("payload, status, message", [
    (b"", 400, "empty"),
    (b"not an image", 400, "not an image"),
])
def test_bad_uploads_get_clear_json_errors(client, payload, status, message):
    with pytest.raises(ApiError) as info:
        client.ocr(payload, unit="u", category="c")
    assert info.value.status == status and message in info.value.body["error"]


def test_missing_field_and_bad_parameters(served_app, client):
    _, base, token = served_app
    status, body = get_json(base + "/v1/pairs?limit=abc", token)
    assert status == 400 and "limit" in body["error"]
    with pytest.raises(ApiError) as info:
        client._call("POST", "/v1/ocr", b"", "multipart/form-data; boundary=x")
    assert info.value.status == 400 and "'image'" in info.value.body["error"]
    with pytest.raises(ApiError) as info:
        client.ocr(png_bytes(), unit="u", category="c", mode="paragraph")
    assert info.value.status == 400


def test_an_oversized_upload_is_refused(served_app, monkeypatch):
    app, base, token = served_app
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    with pytest.raises(ApiError) as info:
        ApiClient(base, token).ocr(b"x" * 20_000, unit="u", category="c")
    assert info.value.status == 413


def test_concurrent_requests_all_get_answers_and_pairs(served_app, client):
    from concurrent.futures import ThreadPoolExecutor
    app, _, _ = served_app
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda n: client.ocr(png_bytes(shade=100 + n), unit=f"u{n}", category="c"), range(24)))
    assert len({a["request_id"] for a in answers}) == 24
    assert app.extensions["ocrgate"].shadows.drain(20)
    deadline = time.time() + 10
    while len(client.pairs(limit=100)["pairs"]) < 24 and time.time() < deadline:
        time.sleep(0.1)
    assert len(client.pairs(limit=100)["pairs"]) == 24


def test_served_text_is_searchable(served_app, client):
    answer = client.ocr(png_bytes(), unit="u", category="c")
    hits = client._call("GET", "/v1/search?q=hello")["hits"]
    assert [h["document"] for h in hits] == [f"request:{answer['request_id']}"]
    assert hits[0]["words"][0]["text"] == "hello"
    with pytest.raises(ApiError) as info:
        client._call("GET", "/v1/search?q=")
    assert info.value.status == 400
