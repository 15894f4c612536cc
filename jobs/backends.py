"""The two job back ends behind one job model, chosen by `OCRGATE_BROKER_URL`:

- `EmbeddedBackend` (the default; no broker): a few threads in the service process hand pages to
  the `PageRunner`; a sweep every few seconds hands out pages no one holds (after a restart, or a
  page whose lease ran out), so nothing submitted is lost;
- `CeleryBackend`: each page is a Celery task on the broker (`jobs/celery_app.py`), read by
  `ocrgate worker` processes anywhere that share the SQL store; a sweep every
  `resend_interval(OCRGATE_JOB_RESEND_SECONDS)` sends again the pages whose message was lost (a
  queued page unread `OCRGATE_JOB_RESEND_SECONDS` after it was last sent: a broker restarted
  without persistence, a queue purged); a page read twice is recorded once.
Both run pages through the same `PageRunner`, so a page means the same thing on either, and both
read a page under the id of the HTTP request that created its job (its log lines carry it).
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Protocol

from engines.registry import get_engine
from jobs import store
from jobs.jail import JailLimits
from jobs.runner import PageRunner, jailed_engines
from jobs.store import PageTask
from kernel.request_context import working_for
from kernel.settings import Settings
from rollout.router import Router, ShadowQueue
from rollout.runs import EngineLookup
from rollout.snapshot import GateSnapshot
from rollout.store import Store

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0


class JobBackend(Protocol):
    def submit(self, job_id: str, pages: int, http_request_id: str | None = None) -> None:
        """Hand every page of a stored job to the workers (`http_request_id`: the request that created it)."""

    def close(self) -> None: ...


def page_engines(settings: Settings) -> EngineLookup:
    """The engines job pages read with: in the jail unless `OCRGATE_JAIL=0`."""
    return jailed_engines(JailLimits.from_settings(settings)) if settings.jail else get_engine


def page_router(store_: Store, snapshot: GateSnapshot, shadows: ShadowQueue, settings: Settings) -> Router:
    """The router job pages go through: the gates of the synchronous path, the page engines."""
    return Router(
        store_,
        snapshot,
        shadows,
        default_engine=settings.default_engine,
        serve_timeout=settings.serve_timeout,
        engines=page_engines(settings),
    )


class EmbeddedBackend:
    """Pages read by threads of this process (each page forks its own jailed child)."""

    def __init__(self, runner: PageRunner, workers: int, sweep_seconds: float = SWEEP_SECONDS, start: bool = True):
        self.runner = runner
        self._queue: queue.Queue[PageTask] = queue.Queue()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._busy = 0
        self._threads = [threading.Thread(target=self._work, name=f"job-page-{n}", daemon=True) for n in range(workers)]
        self._threads.append(
            threading.Thread(target=self._sweep, args=(sweep_seconds,), name="job-sweeper", daemon=True)
        )
        for thread in self._threads if start else ():
            thread.start()

    def submit(self, job_id: str, pages: int, http_request_id: str | None = None) -> None:
        for page in range(1, pages + 1):
            self._queue.put(PageTask(job_id, page, http_request_id))

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until no page is queued or being read (tests, shutdown)."""
        with self._idle:
            return self._idle.wait_for(lambda: self._queue.unfinished_tasks == 0, timeout)

    def close(self) -> None:
        self._stop.set()

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                task = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            try:
                with working_for(task.http_request_id):
                    self.runner.run(task.job_id, task.page)
            except Exception:  # recorded nowhere: the page stays unfinished and the sweep hands it out again
                log.exception("job %s page %s failed to record", task.job_id, task.page)
            finally:
                self._queue.task_done()
                with self._idle:
                    self._idle.notify_all()

    def _sweep(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                if self._queue.unfinished_tasks == 0:
                    for task in store.unfinished_pages(self.runner.store):
                        self._queue.put(task)
            except Exception:
                log.exception("job sweep failed")


def resend_interval(age_seconds: float) -> float:
    """How often the Celery back end looks for lost pages: a quarter of their age, 1 to 60 s."""
    return min(max(age_seconds / 4, 1.0), 60.0)


class CeleryBackend:
    """Pages sent as Celery tasks (late ack) to the broker at `OCRGATE_BROKER_URL`, and a sweep that
    sends again the pages whose message was lost (`start_sweep`)."""

    def __init__(self, settings: Settings, store_: Store | None = None, start_sweep: bool = False):
        from jobs.celery_app import make_app

        self.app = make_app(settings)
        self.store = store_
        self.resend_seconds = settings.job_resend_seconds
        self._stop = threading.Event()
        if start_sweep:
            threading.Thread(target=self._sweep, name="job-resend", daemon=True).start()

    def submit(self, job_id: str, pages: int, http_request_id: str | None = None) -> None:
        from jobs.celery_app import send_page

        for page in range(1, pages + 1):
            send_page(self.app, job_id, page, http_request_id)

    def resend_lost(self, age_seconds: float | None = None) -> list[PageTask]:
        """Send again every queued page last sent over `age_seconds` (default
        `OCRGATE_JOB_RESEND_SECONDS`) ago and not held by a live worker: what was sent."""
        from jobs.celery_app import send_page

        assert self.store is not None, "the sweep needs the store"
        age = self.resend_seconds if age_seconds is None else age_seconds
        lost = store.take_lost_pages(self.store, age)
        for task in lost:
            with working_for(task.http_request_id):
                log.warning(
                    "job %s page %s: not read %g s after it was sent; sending it again", task.job_id, task.page, age
                )
            send_page(self.app, task.job_id, task.page, task.http_request_id)
        return lost

    def _sweep(self) -> None:
        while not self._stop.wait(resend_interval(self.resend_seconds)):
            try:
                self.resend_lost()
            except Exception:
                log.exception(
                    "the sweep for lost job pages failed; it runs again in %g s", resend_interval(self.resend_seconds)
                )

    def close(self) -> None:
        self._stop.set()
        self.app.close()
