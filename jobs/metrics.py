"""Prometheus metrics of job pages and jobs, counted in the process that reads the page (the
service on the embedded back end, each `ocrgate worker` on Celery)."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Counter, Histogram

from jobs.store import PageOutcome
from rollout.store.models import as_utc, utcnow

#: seconds one page takes, its jail and fallback included
PAGE_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
#: seconds from a job's submission to its last page
JOB_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0)

PAGES = Counter("ocrgate_job_pages", "Job pages recorded, by status (done or failed)", ["status"])
PAGE_FAILURES = Counter(
    "ocrgate_job_page_failures",
    "Job pages that failed, by reason (input, timeout, memory, cpu, file, signal, engine, unavailable) and engine",
    ["reason", "engine"],
)
PAGE_SECONDS = Histogram(
    "ocrgate_job_page_duration_seconds", "Job page latency, read to recorded", buckets=PAGE_BUCKETS
)
JOB_SECONDS = Histogram(
    "ocrgate_job_duration_seconds", "Job latency, submitted to its last page recorded", buckets=JOB_BUCKETS
)


def record_page(outcome: PageOutcome) -> None:
    """Count a page whose outcome was just recorded."""
    PAGES.labels("done" if outcome.error is None else "failed").inc()
    if outcome.latency_ms is not None:
        PAGE_SECONDS.observe(outcome.latency_ms / 1000)
    if outcome.error is not None:
        PAGE_FAILURES.labels(outcome.reason or "engine", outcome.engine or "none").inc()


def record_job(created_at: datetime) -> None:
    """Count a job whose last page was just recorded."""
    JOB_SECONDS.observe((utcnow() - as_utc(created_at)).total_seconds())
