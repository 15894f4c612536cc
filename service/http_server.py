"""Serving the application over HTTP (waitress), with the limits a client meets before the app does.

Waitress reads a request's whole body before the application runs (so before authentication):
its body limit is the application's own (`MAX_CONTENT_LENGTH`), so a body announced over it is
refused with 413 as soon as its headers arrive, and a chunked body as soon as it passes it. That
refusal is still the application's answer: waitress hands the refused request (its method, path
and headers, no body) to the app marked `REFUSED`, and the app answers the 413 itself, as it answers
every other error: with the request id (`X-Request-Id` and the JSON body), one access log line and
a count on `/metrics`. The connection is then closed (the unread rest of the body is not read). A
connection that sends nothing for `OCRGATE_CLIENT_TIMEOUT` seconds (a stalled upload, an idle
keep-alive) is closed.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, request
from waitress import (  # type: ignore[import-untyped]  # waitress ships no type hints; types-waitress is no dependency
    channel,
    create_server,
    server,
    task,
    utilities,
    wasyncore,
)
from werkzeug.exceptions import RequestEntityTooLarge

from kernel.settings import load_settings

#: how often, in seconds, waitress looks for connections that have been silent too long
CLEANUP_SECONDS = 1
#: the WSGI environ key that marks a request waitress refused for its body's size
REFUSED = "ocrgate.refused_body"


def body_limit(app: Flask) -> int:
    """The largest request body `app` accepts, in bytes."""
    return int(app.config["MAX_CONTENT_LENGTH"])


def register_refusals(app: Flask) -> None:
    """Answer a request that waitress refused for its size with the app's own 413 (call after the
    request log is registered, so the answer carries the request id and is logged)."""

    @app.before_request
    def refused() -> None:
        if request.environ.get(REFUSED):
            raise RequestEntityTooLarge()


class _RefusedTask(task.WSGITask):
    """A request waitress refused for its body's size, answered by the application (no body read)."""

    def get_environment(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environment()
        environ["wsgi.input"] = io.BytesIO()  # the body is not read: what arrived of it is dropped
        environ[REFUSED] = True
        return environ

    def execute(self) -> None:
        self.set_close_on_finish()  # the rest of the body is still on its way: close after answering
        super().execute()


def _error_task(http_channel: Any, parsed: Any) -> Any:
    """Waitress's own error answers, except a body over the limit, which goes to the application."""
    if isinstance(parsed.error, utilities.RequestEntityTooLarge):
        return _RefusedTask(http_channel, parsed)
    return task.ErrorTask(http_channel, parsed)


class _Channel(channel.HTTPChannel):
    error_task_class = staticmethod(_error_task)


def make_server(app: Flask, host: str, port: int, threads: int) -> Any:
    """A waitress server for `app` on host:port (port 0: any free one), not yet running (`.run()`)."""
    sockets: dict[int, Any] = {}
    made = create_server(
        app,
        map=sockets,
        host=host,
        port=port,
        threads=threads,
        ident="ocrgate",
        max_request_body_size=body_limit(app) + 1,  # waitress refuses a body of its limit or more
        channel_timeout=load_settings().client_timeout,
        cleanup_interval=CLEANUP_SECONDS,
    )
    for listener in sockets.values():  # one per address host resolves to
        if isinstance(listener, server.BaseWSGIServer):
            listener.channel_class = _Channel
    return made


def close_server(made: Any) -> None:
    """Stop a server from `make_server` (its `run` returns) and close its connections."""
    made.task_dispatcher.shutdown()
    wasyncore.close_all(made.map if isinstance(made, server.MultiSocketServer) else made._map)


def serve_http(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve `app` on host:port until interrupted."""
    make_server(app, host, port, threads).run()
