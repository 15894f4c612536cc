"""The broker-backed job back end: a Celery application on Redis or RabbitMQ (`OCRGATE_BROKER_URL`).

One queue, `ocrgate.work`, carries job pages and their shadow runs, and a page always goes first:
each task has a priority (`PAGE_PRIORITY`, `SHADOW_PRIORITY` for the broker's kind), and a worker
takes the most urgent waiting task, so a shadow run waits while any page waits, however many
shadows were queued before it. Two separate queues would not do: a worker reads the queues it
consumes fairly (RabbitMQ interleaves deliveries), so pages would wait behind shadows.
- RabbitMQ: the queue is declared with `x-max-priority` (`task_queue_max_priority`), the broker
  delivers the highest priority first (higher number: more urgent);
- Redis: priorities are Celery's emulation, one Redis list per priority step (`priority_steps`,
  named `ocrgate.work` and `ocrgate.work:N`) polled in step order (`queue_order_strategy:
  priority`); lower number: more urgent.
With prefetch 1, a busy worker holds at most one task it has not started, so a page sent while a
worker reads is the next thing it reads.

Delivery is at least once and every write is idempotent:
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
from kombu import Queue

from jobs.backends import page_engines, page_router
from jobs.callbacks import send_callback
from jobs.runner import PageRunner, Ran
from jobs.store import LEASE_SECONDS
from kernel.request_context import NO_REQUEST, current_request_id, working_for
from kernel.settings import Settings
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from rollout.store.models import ShadowJob

#: the one queue of pages and shadow runs (before priorities: `ocrgate.pages` and `ocrgate.shadows`)
WORK_QUEUE = "ocrgate.work"
#: priorities run 0..MAX_PRIORITY
MAX_PRIORITY = 9
#: Redis's priority steps (one list each) and the separator in their list names
PRIORITY_STEPS = [0, 3, 6, 9]
PRIORITY_SEPARATOR = ":"
PAGE_TASK = "ocrgate.page"
SHADOW_TASK = "ocrgate.shadow"
#: seconds between Redis's scans for messages whose worker died
RESTORE_SECONDS = 5
#: seconds a held page or shadow job waits before it is tried again
RETRY_SECONDS = LEASE_SECONDS / 2
#: a shadow job is presumed dead this long after its jailed engine's time limit
SHADOW_LEASE_GRACE = 15.0


def priorities(broker_url: str | None) -> tuple[int, int]:
    """(a page's priority, a shadow run's) on this broker: RabbitMQ reads a higher number as more
    urgent, Celery's Redis emulation a lower one."""
    if (broker_url or "").startswith(("redis://", "rediss://")):
        return 0, MAX_PRIORITY
    return MAX_PRIORITY, 0


def make_app(settings: Settings) -> Celery:
    """The Celery application for `settings.broker_url`, with the page and shadow tasks."""
    app = Celery("ocrgate", broker=settings.broker_url, set_as_current=False)
    page_priority, shadow_priority = priorities(settings.broker_url)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_queues=[Queue(WORK_QUEUE, routing_key=WORK_QUEUE, queue_arguments={"x-max-priority": MAX_PRIORITY})],
        task_default_queue=WORK_QUEUE,
        task_queue_max_priority=MAX_PRIORITY,  # RabbitMQ: the queue's x-max-priority
        task_default_priority=shadow_priority,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        broker_transport_options={
            "visibility_timeout": settings.broker_visibility_timeout,
            "unacked_restore_interval": RESTORE_SECONDS,
            "unacked_restore_throttle": 1,
            # Redis: one list per priority step, polled most urgent first
            "priority_steps": PRIORITY_STEPS,
            "sep": PRIORITY_SEPARATOR,
            "queue_order_strategy": "priority",
        },
    )
    worker = _WorkerState(app, settings)

    @app.task(name=PAGE_TASK, bind=True, max_retries=None, acks_late=True)
    def page(task: Any, job_id: str, number: int, http_request_id: str | None = None) -> None:
        with working_for(http_request_id):  # the page's log lines (and its shadow runs') carry the id
            ran = worker.context().pages.run(job_id, number)
        if ran is Ran.BUSY:
            raise task.retry(countdown=RETRY_SECONDS, queue=WORK_QUEUE, priority=page_priority)

    @app.task(name=SHADOW_TASK, bind=True, max_retries=100, acks_late=True)
    def shadow(task: Any, shadow_job_id: int, http_request_id: str | None = None) -> None:
        context = worker.context()
        with working_for(http_request_id):
            context.shadows.run_job(shadow_job_id)
        with context.store.session() as session:
            job = session.get(ShadowJob, shadow_job_id)
            unfinished = job is not None and job.status in ("pending", "running")
        if unfinished:  # held by a live worker, or its request not served yet
            raise task.retry(countdown=RETRY_SECONDS, queue=WORK_QUEUE, priority=shadow_priority)

    return app


def send_page(app: Celery, job_id: str, number: int, http_request_id: str | None = None) -> None:
    """Queue a job page (before every shadow run); `http_request_id`: the request that created the job."""
    app.send_task(
        PAGE_TASK,
        args=(job_id, number),
        kwargs={"http_request_id": http_request_id},
        queue=WORK_QUEUE,
        priority=priorities(app.conf.broker_url)[0],
    )


def send_shadow(app: Celery, shadow_job_id: int, http_request_id: str | None = None) -> None:
    """Queue a shadow run (after every page)."""
    app.send_task(
        SHADOW_TASK,
        args=(shadow_job_id,),
        kwargs={"http_request_id": http_request_id},
        queue=WORK_QUEUE,
        priority=priorities(app.conf.broker_url)[1],
    )


class _ShadowsOnTheQueue:
    """The router's shadow queue in a worker: each shadow job becomes a low-priority task."""

    def __init__(self, app: Celery):
        self.app = app

    def submit(self, job_id: int) -> bool:
        send_shadow(self.app, job_id, _request_or_none())  # under the page's request id
        return True


def _request_or_none() -> str | None:
    request_id = current_request_id()
    return None if request_id == NO_REQUEST else request_id


class WorkerContext:
    """What a worker process holds: the store, the gates, the page runner, the shadow runner."""

    def __init__(self, app: Celery, settings: Settings):
        self.store = Store(settings.database)
        self.snapshot = GateSnapshot(self.store, settings.gate_refresh_seconds).start()
        router = page_router(self.store, self.snapshot, _ShadowsOnTheQueue(app), settings)
        self.pages = PageRunner(
            self.store, router, on_job_done=lambda job_id: send_callback(self.store, job_id, settings.callback_hosts)
        )
        self.shadows = ShadowRunner(
            self.store,
            timeout=settings.shadow_timeout,
            engines=page_engines(settings),
            lease_seconds=settings.shadow_timeout + SHADOW_LEASE_GRACE,
        )


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
