"""The request a piece of work is done for, carried into every log line written for it.

An HTTP request sets its id while it is answered (`service/request_log.py`); a job page read by a
worker (the embedded pool's threads, a Celery worker) runs under the id of the HTTP request that
created its job, passed along in the page's task. `RequestIdFilter` puts the id on every record as
`%(request_id)s` (`LOG_FORMAT`), `NO_REQUEST` outside any request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: what a record carries outside any request (background threads, start-up)
NO_REQUEST = "-"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

_current: ContextVar[str] = ContextVar("request_id", default=NO_REQUEST)


def current_request_id() -> str:
    """The id of the request this thread works for, or `NO_REQUEST`."""
    return _current.get()


def enter_request(request_id: str | None) -> object:
    """Work for `request_id` from now on (None: for no request); the token `leave_request` takes."""
    return _current.set(request_id or NO_REQUEST)


def leave_request(token: object) -> None:
    """Back to the request worked for before the `enter_request` that gave `token`."""
    _current.reset(token)  # type: ignore[arg-type]


@contextmanager
def working_for(request_id: str | None) -> Iterator[None]:
    """The block's log lines carry `request_id` (None: `NO_REQUEST`)."""
    token = enter_request(request_id)
    try:
        yield
    finally:
        leave_request(token)


class RequestIdFilter(logging.Filter):
    """Gives every record the id of the request it was written for (`%(request_id)s`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    """Log to standard error at `level`, each line with its request id (`ocrgate serve`, `ocrgate worker`)."""
    logging.basicConfig(level=level, format=LOG_FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    logging.getLogger("alembic").setLevel(logging.WARNING)
