"""Serving the application over HTTP (waitress), with the limits a client meets before the app does.

Waitress reads a request's whole body before the application runs (so before authentication):
its body limit is the application's own (`MAX_CONTENT_LENGTH`), so a body announced over it is
refused with 413 as soon as its headers arrive, and a chunked body as soon as it passes it. A
connection that sends nothing for `OCRGATE_CLIENT_TIMEOUT` seconds (a stalled upload, an idle
keep-alive) is closed.
"""

from __future__ import annotations

import waitress
from flask import Flask

from kernel.settings import load_settings

#: how often, in seconds, waitress looks for connections that have been silent too long
CLEANUP_SECONDS = 1


def body_limit(app: Flask) -> int:
    """The largest request body `app` accepts, in bytes."""
    return int(app.config["MAX_CONTENT_LENGTH"])


def serve_http(app: Flask, host: str, port: int, threads: int) -> None:
    """Serve `app` on host:port until interrupted."""
    waitress.serve(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="ocrgate",
        max_request_body_size=body_limit(app) + 1,  # waitress refuses a body of its limit or more
        channel_timeout=load_settings().client_timeout,
        cleanup_interval=CLEANUP_SECONDS,
    )
