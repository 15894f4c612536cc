"""Engine runs as store rows: the one builder used for served and shadow runs alike."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import OcrResult
from imaging.intake import ImageSource
from kernel.errors import EngineFailedError, OcrgateError
from rollout.store.models import EngineRun
from rollout.timeouts import call_with_deadline


def describe_error(error: BaseException | None) -> str | None:
    return f"{type(error).__name__}: {error}" if error is not None else None


def engine_run_row(request_id: str, engine: str, role: str, result: OcrResult | None,
                   error: BaseException | None, latency_ms: float, version: str | None) -> EngineRun:
    return EngineRun(request_id=request_id, engine=engine, engine_version=version, role=role,
                     text=result.text if result else None, result=result.to_dict() if result else None,
                     mean_confidence=result.mean_confidence() if result else None, latency_ms=latency_ms,
                     error=describe_error(error))


@dataclass
class RunOutcome:
    result: OcrResult | None
    error: OcrgateError | None
    latency_ms: float
    version: str | None


def run_engine(engines: Callable[[str], OcrEngine], name: str, pages: ImageSource, options: RecognizeOptions,
               timeout: float) -> RunOutcome:
    """Run engine `name` under a deadline; every failure, even an engine bug, comes back as data."""
    started = time.perf_counter()
    version = None
    try:
        engine = engines(name)
        version = engine.version
        result = call_with_deadline(lambda: engine.recognize(pages, options), timeout, f"engine {name}")
        return RunOutcome(result, None, (time.perf_counter() - started) * 1000, version)
    except OcrgateError as exc:
        return RunOutcome(None, exc, (time.perf_counter() - started) * 1000, version)
    except Exception as exc:  # an engine bug is that engine's failure, never the caller's
        failure = EngineFailedError(f"{name} crashed: {type(exc).__name__}: {exc}")
        return RunOutcome(None, failure, (time.perf_counter() - started) * 1000, version)


def outcome_row(request_id: str, engine: str, role: str, outcome: RunOutcome) -> EngineRun:
    return engine_run_row(request_id, engine, role, outcome.result, outcome.error, outcome.latency_ms,
                          outcome.version)
