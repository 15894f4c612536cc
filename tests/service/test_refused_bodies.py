"""A body waitress refuses for its size (before the app reads it) is still the app's answer, over a
real waitress server: a JSON 413 that names the request (`X-Request-Id`), one access log line and a
count on `/metrics`, whether the body's length was announced or it came chunked."""

from __future__ import annotations

import json
import logging
import socket
import threading

import pytest

from accounts.tokens import create_token
from service.app import create_app
from service.http_server import close_server, make_server
from service.settings import ServiceSettings
from tests.service.http import fetch, samples, value

#: the server's body limit, in bytes (small, so a refused body is cheap to send)
LIMIT = 1000


@pytest.fixture
def waitress_app(tmp_path, test_engines):
    settings = ServiceSettings(
        database_url=f"sqlite:///{tmp_path / 'svc.db'}", default_engine="alpha", auto_rollback=False
    )
    app = create_app(settings)
    app.config["MAX_CONTENT_LENGTH"] = LIMIT
    server = make_server(app, "127.0.0.1", 0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    store = app.extensions["ocrgate"].store
    yield server.effective_port, create_token(store, "tests", ["ocr"]), create_token(store, "prom", ["metrics"])
    close_server(server)
    thread.join(10)
    app.extensions["ocrgate"].close()


def _exchange(port: int, head: str, body: bytes = b"") -> tuple[int, dict[str, str], bytes]:
    """Send a request (head and what there is of its body); the answer, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(head.encode() + body)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except ConnectionResetError:  # the server closed with the body's rest unread
            pass
    header_block, _, payload = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = header_block.decode("latin-1").split("\r\n")
    headers = {name.lower(): text.strip() for name, _, text in (line.partition(":") for line in header_lines)}
    return int(status_line.split(" ")[1]), headers, payload


def _post(token: str, request_id: str, framing: str) -> str:
    return (
        f"POST /v1/ocr HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"X-Request-Id: {request_id}\r\nConnection: close\r\n"
        f"Content-Type: application/octet-stream\r\n{framing}\r\n\r\n"
    )


def test_a_body_waitress_refuses_gets_the_apps_413_with_its_request_id_logged_and_counted(waitress_app, caplog):
    port, token, scraper = waitress_app
    before = samples(fetch(f"http://127.0.0.1:{port}", "GET", "/metrics", token=scraper)[1])
    chunk = b"\0" * 500
    chunked = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(4))
    with caplog.at_level(logging.INFO, logger="ocrgate.access"):
        answers = {
            "announced": _exchange(port, _post(token, "too-big-1", "Content-Length: 5000000")),
            "chunked": _exchange(port, _post(token, "too-big-2", "Transfer-Encoding: chunked"), chunked),
        }
    for (status, headers, payload), sent in zip(answers.values(), ("too-big-1", "too-big-2"), strict=True):
        assert status == 413 and headers["x-request-id"] == sent and headers["connection"] == "close"
        body = json.loads(payload)
        assert body["type"] == "TooLarge" and body["request_id"] == sent, body
    lines = [json.loads(record.getMessage()) for record in caplog.records if record.name == "ocrgate.access"]
    logged = {line["request_id"]: (line["method"], line["path"], line["status"]) for line in lines}
    assert logged["too-big-1"] == logged["too-big-2"] == ("POST", "/v1/ocr", 413)
    after = samples(fetch(f"http://127.0.0.1:{port}", "GET", "/metrics", token=scraper)[1])
    labels = {"endpoint": "/v1/ocr", "method": "POST", "status": "413"}
    assert (
        value(after, "ocrgate_http_requests_total", **labels) - value(before, "ocrgate_http_requests_total", **labels)
        == 2
    )


def test_a_body_within_the_limit_still_reaches_the_app(waitress_app):
    port, _, _ = waitress_app
    status, headers, payload = _exchange(port, _post("ocg_nope", "small-1", f"Content-Length: {LIMIT}"), b"\0" * LIMIT)
    assert status == 401 and json.loads(payload)["request_id"] == "small-1"  # read, then refused for its token
