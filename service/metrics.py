"""`GET /metrics`: the Prometheus text exposition of this process's metrics and the store's queues.

What a scrape of one API process shows:
- from the store, so any API process reports the whole deployment: job pages and shadow jobs
  waiting or being read, and jobs by status (`ocrgate_job_pages_queued`, `ocrgate_shadow_backlog`,
  `ocrgate_jobs_unfinished`);
- this process's own counts: HTTP requests by endpoint, method and status and their latency; engine
  runs and errors (`rollout.metrics`); job pages, their failures and job latency (`jobs.metrics`,
  for the pages this process read: all of them on the embedded back end, none on Celery, where
  each `ocrgate worker --metrics-port` serves its own).

Who may read it: a bearer token with the `metrics` scope; with `OCRGATE_METRICS_LOOPBACK=1`, also
any client on the loopback address without one (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from rollout.store import Store
from rollout.store.models import Job, JobPage, JobStatus, PageStatus, ShadowJob
from service.api import require_token
from service.request_log import elapsed_seconds

LOOPBACK = frozenset({"127.0.0.1", "::1"})
#: what an unmatched path (a 404) is counted under, so clients cannot mint endpoint labels
UNMATCHED = "unmatched"

HTTP_REQUESTS = Counter(
    "ocrgate_http_requests",
    "HTTP requests answered, by endpoint (route), method and status",
    ["endpoint", "method", "status"],
)
HTTP_SECONDS = Histogram(
    "ocrgate_http_request_duration_seconds", "HTTP request latency, by endpoint (route)", ["endpoint"]
)


class StoreQueues(Collector):
    """Queue depths read from the store at each scrape (the same in every process)."""

    def __init__(self, store: Store):
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pages = GaugeMetricFamily(
            "ocrgate_job_pages_queued", "Job pages waiting (pending) or being read (running)", labels=["status"]
        )
        shadows = GaugeMetricFamily(
            "ocrgate_shadow_backlog", "Shadow jobs waiting (pending) or running", labels=["status"]
        )
        jobs = GaugeMetricFamily("ocrgate_jobs_unfinished", "Jobs queued or running", labels=["status"])
        with self.store.session() as session:
            for family, column, states in (
                (pages, JobPage.status, (PageStatus.PENDING, PageStatus.RUNNING)),
                (shadows, ShadowJob.status, ("pending", "running")),
                (jobs, Job.status, (JobStatus.QUEUED, JobStatus.RUNNING)),
            ):
                rows = session.execute(select(column, func.count()).where(column.in_(states)).group_by(column))
                counts = {state: count for state, count in rows}
                for state in states:
                    family.add_metric([str(state)], counts.get(state, 0))
        yield from (pages, shadows, jobs)


def register_metrics(app: Flask, store: Store, loopback: bool) -> None:
    """`GET /metrics` on `app`, and the counting of its requests."""
    queues = CollectorRegistry()
    queues.register(StoreQueues(store))

    def exposition() -> Response:
        return Response(generate_latest(REGISTRY) + generate_latest(queues), content_type=CONTENT_TYPE_LATEST)

    protected = require_token("metrics")(exposition)

    @app.get("/metrics")
    def metrics() -> Response:
        if loopback and request.remote_addr in LOOPBACK:
            return exposition()
        return protected()

    @app.after_request
    def count(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule is not None else UNMATCHED
        HTTP_REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
        HTTP_SECONDS.labels(endpoint).observe(elapsed_seconds())
        return response
