"""Run a call with a deadline, isolated in its own thread, whatever the callee does.

A callee that ignores its own timeout (a hung engine) is abandoned on a daemon thread: the
caller gets `EngineTimeoutError` on time, and the abandoned call's eventual result is dropped.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

from kernel.errors import EngineTimeoutError

T = TypeVar("T")


def call_with_deadline(fn: Callable[[], T], seconds: float, what: str) -> T:
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller below
            box["error"] = exc

    thread = threading.Thread(target=target, name=f"deadline:{what}", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise EngineTimeoutError(f"{what} did not answer within {seconds:g} s")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]
