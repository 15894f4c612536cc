"""The time limit of the engine call in progress, which engines honour at their checkpoints.

`kernel.observe` opens a `Deadline` around every engine call. An engine calls `check()` between
units of work (a stage, a batch of word crops) and hands `remaining()` to any subprocess it starts,
so a call that runs past its limit stops working instead of being abandoned on a thread. The
deadline lives in a context variable: a thread that an engine starts itself captures it with
`current()` and enters it with `Deadline.entered()`.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from kernel.errors import EngineTimeoutError

_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("ocrgate_deadline", default=None)


class Deadline:
    """A point in (monotonic) time after which the work is to stop; `cancel()` ends it early."""

    def __init__(self, seconds: float, what: str = "engine call"):
        self.seconds = seconds
        self.what = what
        self.expires_at = time.monotonic() + seconds
        self._cancelled = threading.Event()

    def remaining(self) -> float:
        """Seconds left (0 once expired or cancelled)."""
        if self._cancelled.is_set():
            return 0.0
        return max(0.0, self.expires_at - time.monotonic())

    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def cancel(self) -> None:
        self._cancelled.set()

    def check(self) -> None:
        """Raise `EngineTimeoutError` once the deadline has passed or was cancelled."""
        if self.expired():
            raise self.error()

    def error(self) -> EngineTimeoutError:
        return EngineTimeoutError(f"{self.what} ran past its {self.seconds:g} s limit")

    @contextmanager
    def entered(self) -> Iterator[Deadline]:
        """Make this the current deadline in this thread for the duration of the block."""
        token = _current.set(self)
        try:
            yield self
        finally:
            _current.reset(token)


def current() -> Deadline | None:
    """The deadline of the call in progress in this thread, if any."""
    return _current.get()


def check() -> None:
    """Checkpoint for engines: raise `EngineTimeoutError` if the current call is past its limit."""
    deadline = _current.get()
    if deadline is not None:
        deadline.check()


def remaining(default: float) -> float:
    """Seconds left for the current call, or `default` outside any deadline."""
    deadline = _current.get()
    return default if deadline is None else deadline.remaining()
