"""Request ids and the access log.

Every request gets an id: the client's `X-Request-Id` when it is sane (1 to 64 visible ASCII
characters), else a new one. It is echoed in the `X-Request-Id` response header, added to every
JSON error body (`{"error", "type", "request_id"}`) and the admin's error page, and carried by
every log record written while the request runs (`RequestIdFilter`). When the response is ready,
one JSON line goes to the `ocrgate.access` logger: time, request id, method, path (never the query
string, which may hold secrets), status, duration in ms, the client's token name, bytes sent.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, Response, g, request

HEADER = "X-Request-Id"
MAX_LENGTH = 64
#: what a record carries outside any request (background threads, start-up)
NO_REQUEST = "-"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

access_log = logging.getLogger("ocrgate.access")
_current: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request this thread is answering, or `NO_REQUEST`."""
    return _current.get()


def request_id_from(header: str | None) -> str:
    """The client's id when it is 1 to 64 visible ASCII characters, else a new random one."""
    if header and len(header) <= MAX_LENGTH and all("!" <= char <= "~" for char in header):
        return header
    return uuid.uuid4().hex


def elapsed_seconds() -> float:
    """Seconds since the current request started (0 when its start was not seen)."""
    return time.perf_counter() - g.get("request_clock", time.perf_counter())


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was written for (`%(request_id)s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging() -> None:
    """Log to standard error at INFO, each line with its request id (`ocrgate serve`)."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    logging.getLogger("alembic").setLevel(logging.WARNING)


def register_request_log(app: Flask) -> None:
    """Give `app`'s requests their ids and access log lines."""

    @app.before_request
    def start() -> None:
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.request_started = datetime.now(UTC)
        g.request_clock = time.perf_counter()
        g.request_id_token = _current.set(g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[HEADER] = request_id
        _add_to_error_body(response, request_id)
        grant = g.get("grant")
        access_log.info(json.dumps({
            "time": g.get("request_started", datetime.now(UTC)).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "method": request.method, "path": request.path, "status": response.status_code,
            "duration_ms": round(elapsed_seconds() * 1000, 3),
            "client": grant.name if grant is not None else None,
            "bytes": response.calculate_content_length()}))
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            _current.reset(token)


def _add_to_error_body(response: Response, request_id: str) -> None:
    """Every JSON error body says which request it answers (one rule for every handler)."""
    if response.status_code < 400 or not response.is_json:
        return
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "error" in body:
        body["request_id"] = request_id
        response.set_data(json.dumps(body))
