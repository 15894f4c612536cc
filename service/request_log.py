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
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from kernel.request_context import (
    LOG_FORMAT,
    NO_REQUEST,
    RequestIdFilter,
    configure_logging,
    current_request_id,
    enter_request,
    leave_request,
)

HEADER = "X-Request-Id"
MAX_LENGTH = 64

access_log = logging.getLogger("ocrgate.access")

__all__ = [
    "HEADER",
    "LOG_FORMAT",
    "NO_REQUEST",
    "RequestIdFilter",
    "configure_logging",
    "current_request_id",
    "register_request_log",
    "request_id_from",
]


def request_id_from(header: str | None) -> str:
    """The client's id when it is 1 to 64 visible ASCII characters, else a new random one."""
    if header and len(header) <= MAX_LENGTH and all("!" <= char <= "~" for char in header):
        return header
    return uuid.uuid4().hex


def elapsed_seconds() -> float:
    """Seconds since the current request started (0 when its start was not seen)."""
    return time.perf_counter() - g.get("request_clock", time.perf_counter())


def register_request_log(app: Flask) -> None:
    """Give `app`'s requests their ids and access log lines."""

    @app.before_request
    def start() -> None:
        g.request_id = request_id_from(request.headers.get(HEADER))
        g.request_started = datetime.now(UTC)
        g.request_clock = time.perf_counter()
        g.request_id_token = enter_request(g.request_id)

    @app.after_request
    def finish(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[HEADER] = request_id
        _add_to_error_body(response, request_id)
        grant = g.get("grant")
        access_log.info(
            json.dumps(
                {
                    "time": g.get("request_started", datetime.now(UTC)).isoformat(timespec="milliseconds"),
                    "request_id": request_id,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(elapsed_seconds() * 1000, 3),
                    "client": grant.name if grant is not None else None,
                    "bytes": response.calculate_content_length(),
                }
            )
        )
        return response

    @app.teardown_request
    def forget(_exc: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            leave_request(token)


def _add_to_error_body(response: Response, request_id: str) -> None:
    """Every JSON error body says which request it answers (one rule for every handler)."""
    if response.status_code < 400 or not response.is_json:
        return
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "error" in body:
        body["request_id"] = request_id
        response.set_data(json.dumps(body))
