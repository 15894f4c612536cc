"""Prometheus metrics of the rollout's engine runs, counted in the process that observes them
(`rollout.runs.observe_engine`: served, fallback, shadow and A/A runs alike)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from kernel.observe import Observation

#: seconds: from a fast word to a slow page near the default 60 s limit
RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

ENGINE_RUNS = Counter(
    "ocrgate_engine_runs", "Engine runs observed, by engine and outcome (ok or error)", ["engine", "outcome"]
)
ENGINE_RUN_ERRORS = Counter(
    "ocrgate_engine_run_errors", "Engine runs that failed, by engine and error type", ["engine", "error"]
)
ENGINE_RUN_SECONDS = Histogram(
    "ocrgate_engine_run_duration_seconds", "Engine run latency, by engine", ["engine"], buckets=RUN_BUCKETS
)


def record_run(observation: Observation) -> None:
    """Count one observed engine run."""
    ENGINE_RUNS.labels(observation.engine, "ok" if observation.ok else "error").inc()
    ENGINE_RUN_SECONDS.labels(observation.engine).observe(observation.latency_ms / 1000)
    if observation.error is not None:
        ENGINE_RUN_ERRORS.labels(observation.engine, type(observation.error).__name__).inc()
