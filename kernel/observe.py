"""The one engine-run primitive, in the spirit of GitHub Scientist's Observation.

`observe(engine, image, options)` runs one engine call under a deadline and returns an
`Observation`: the result or the typed error, the latency, the engine's name and version, and
the options used. Every door (the CLI, `ocrgate pdf`, the evaluation runner, the router and the
shadow runner) reads pages through it, so a deadline, a crash or a hang means the same thing
everywhere:
- the call runs on its own thread inside a `Deadline`; when the deadline passes, the caller gets
  `EngineTimeoutError` at once and the deadline is cancelled, so the engine stops at its next
  checkpoint (ours check between stages and batches; Tesseract's subprocess is killed);
- any exception becomes an `OcrgateError`: an engine bug is `EngineFailedError`, never a
  traceback in the caller.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from kernel.deadline import Deadline
from kernel.errors import EngineFailedError, OcrgateError

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class RunOptions(Protocol):
    """What observe needs of a caller's options (`engines.RecognizeOptions` has it)."""

    @property
    def timeout_seconds(self) -> float: ...


class Recognizer(Protocol[R_co]):
    """What observe needs of an engine (`engines.OcrEngine` has it)."""

    name: str

    @property
    def version(self) -> str: ...

    def recognize(self, image: Any, options: Any) -> R_co: ...


@dataclass(frozen=True)
class Observation(Generic[R]):
    """One engine call: its result or its error, never both."""

    engine: str
    version: str | None
    options: Any
    result: R | None
    error: OcrgateError | None
    latency_ms: float

    @property
    def ok(self) -> bool:
        return self.error is None

    def value(self) -> R:
        """The result, or the call's error raised."""
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result

    @classmethod
    def failure(
        cls, engine: str, options: Any, error: OcrgateError, *, version: str | None = None, latency_ms: float = 0.0
    ) -> Observation[Any]:
        """An observation of a call that could not start (unknown engine, engine unavailable)."""
        return cls(engine, version, options, None, error, latency_ms)


def as_ocrgate_error(engine: str, exc: BaseException) -> OcrgateError:
    """An engine's exception in the error hierarchy: ours pass through, anything else is a crash."""
    if isinstance(exc, OcrgateError):
        return exc
    return EngineFailedError(f"{engine} crashed: {type(exc).__name__}: {exc}")


def observe(engine: Recognizer[R], image: Any, options: RunOptions, *, timeout: float | None = None) -> Observation[R]:
    """Run `engine.recognize(image, options)` within `timeout` seconds (default: the options'
    `timeout_seconds`); every outcome, even an engine bug or a hang, comes back as data."""
    name = getattr(engine, "name", type(engine).__name__)
    seconds = options.timeout_seconds if timeout is None else min(timeout, options.timeout_seconds)
    deadline = Deadline(seconds, f"engine {name}")
    started = time.perf_counter()
    outcome: dict[str, Any] = {}

    def call() -> None:
        with deadline.entered():
            try:
                outcome["version"] = engine.version
                deadline.check()
                outcome["result"] = engine.recognize(image, options)
            except BaseException as exc:  # reported to the caller below, as data
                outcome["error"] = exc

    worker = threading.Thread(target=call, name=f"observe:{name}", daemon=True)
    worker.start()
    worker.join(seconds)
    elapsed_ms = (time.perf_counter() - started) * 1000
    version = outcome.get("version")
    if worker.is_alive():
        deadline.cancel()  # the engine stops at its next checkpoint; its late result is dropped
        return Observation(name, version, options, None, deadline.error(), elapsed_ms)
    if "error" in outcome:
        return Observation(name, version, options, None, as_ocrgate_error(name, outcome["error"]), elapsed_ms)
    return Observation(name, version, options, outcome["result"], None, elapsed_ms)
