"""The broker-backed job back end: a Celery application on Redis or RabbitMQ (`OCRGATE_BROKER_URL`).

Two queues: `ocrgate.pages` (job pages) and `ocrgate.shadows` (their shadow runs), consumed in that
order, so shadows wait while pages do. Delivery is at least once and every write is idempotent:
- late ack: a task's message is acknowledged after its page is recorded; a worker that dies loses
  nothing (RabbitMQ requeues at once when the connection drops; Redis hands an unacknowledged
  message out again after `OCRGATE_BROKER_VISIBILITY_TIMEOUT`, checked every 5 s);
- a redelivered page finds its result written (nothing to do) or its lease held by a live worker
  (retried a little later), so a page is recorded once whichever worker reads it;
- retries only where safe: a held page or shadow job is retried, a page's own failure is recorded
  as its result and never retried.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery

from jobs.backends import page_engines, page_router
from jobs.callbacks import send_callback
from jobs.runner import PageRunner, Ran
from jobs.store import LEASE_SECONDS
from kernel.settings import Settings
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from rollout.store.models import ShadowJob

PAGES_QUEUE = "ocrgate.pages"
SHADOWS_QUEUE = "ocrgate.shadows"
PAGE_TASK = "ocrgate.page"
SHADOW_TASK = "ocrgate.shadow"
#: seconds between Redis's scans for messages whose worker died
RESTORE_SECONDS = 5
#: seconds a held page or shadow job waits before it is tried again
RETRY_SECONDS = LEASE_SECONDS / 2
#: a shadow job is presumed dead this long after its jailed engine's time limit
SHADOW_LEASE_GRACE = 15.0


def make_app(settings: Settings) -> Celery:
    """The Celery application for `settings.broker_url`, with the page and shadow tasks."""
    app = Celery("ocrgate", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_default_queue=PAGES_QUEUE,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={
            "visibility_timeout": settings.broker_visibility_timeout,
            "unacked_restore_interval": RESTORE_SECONDS,
            "unacked_restore_throttle": 1,
            "queue_order_strategy": "priority",  # Redis: pages before shadows
        },
    )
    worker = _WorkerState(app, settings)

    @app.task(name=PAGE_TASK, bind=True, max_retries=None, acks_late=True)
    def page(task: Any, job_id: str, number: int) -> None:
        if worker.context().pages.run(job_id, number) is Ran.BUSY:
            raise task.retry(countdown=RETRY_SECONDS)

    @app.task(name=SHADOW_TASK, bind=True, max_retries=100, acks_late=True)
    def shadow(task: Any, shadow_job_id: int) -> None:
        context = worker.context()
        context.shadows.run_job(shadow_job_id)
        with context.store.session() as session:
            job = session.get(ShadowJob, shadow_job_id)
            unfinished = job is not None and job.status in ("pending", "running")
        if unfinished:  # held by a live worker, or its request not served yet
            raise task.retry(countdown=RETRY_SECONDS)

    return app


def send_page(app: Celery, job_id: str, number: int) -> None:
    app.send_task(PAGE_TASK, args=(job_id, number), queue=PAGES_QUEUE)


class _ShadowsOnTheQueue:
    """The router's shadow queue in a worker: each shadow job becomes a task on the shadows queue."""

    def __init__(self, app: Celery):
        self.app = app

    def submit(self, job_id: int) -> bool:
        self.app.send_task(SHADOW_TASK, args=(job_id,), queue=SHADOWS_QUEUE)
        return True


class WorkerContext:
    """What a worker process holds: the store, the gates, the page runner, the shadow runner."""

    def __init__(self, app: Celery, settings: Settings):
        self.store = Store(settings.database)
        self.snapshot = GateSnapshot(self.store, settings.gate_refresh_seconds).start()
        router = page_router(self.store, self.snapshot, _ShadowsOnTheQueue(app), settings)
        self.pages = PageRunner(self.store, router,
                                on_job_done=lambda job_id: send_callback(self.store, job_id, settings.callback_hosts))
        self.shadows = ShadowRunner(self.store, timeout=settings.shadow_timeout, engines=page_engines(settings),
                                    lease_seconds=settings.shadow_timeout + SHADOW_LEASE_GRACE)


class _WorkerState:
    """The worker context, made once per process on its first task."""

    def __init__(self, app: Celery, settings: Settings):
        self.app, self.settings = app, settings
        self._context: WorkerContext | None = None
        self._lock = threading.Lock()

    def context(self) -> WorkerContext:
        with self._lock:
            if self._context is None:
                self._context = WorkerContext(self.app, self.settings)
            return self._context
