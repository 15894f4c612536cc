"""Reading one page of a job: the one function every back end runs (the embedded pool's threads
and Celery's tasks alike).

A page is claimed with a lease that a heartbeat renews while it is read, so a killed worker's page
is free again within `LEASE_SECONDS`. It is read through the router (gate decision, served engine,
shadow jobs, stored request and runs) with every engine in the page jail, and its outcome is
written once, by the attempt that holds it. An attempt that was served but died before recording
is not read again: its stored run is the page's result, so a page never gets two pairs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum

from sqlalchemy import select

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.registry import get_engine
from engines.result import OcrResult
from imaging import page_png
from imaging.intake import ImageSource
from jobs import metrics, pages, store
from jobs.jail import JailError, JailLimits, run_jailed
from jobs.store import MAX_ATTEMPTS, PageOutcome, Recorded
from kernel import deadline
from kernel.errors import (
    EngineTimeoutError,
    EngineUnavailableError,
    OcrgateError,
    OcrInputError,
)
from rollout.router import Router
from rollout.runs import EngineLookup
from rollout.store import Store
from rollout.store.models import EngineRun, Job, JobPage, Request, RunRole

log = logging.getLogger(__name__)


class Ran(StrEnum):
    """What `PageRunner.run` did."""

    FINISHED = "finished"  # it recorded the page (and `job_done` says whether the job ended with it)
    ALREADY = "already"  # the page was finished before
    BUSY = "busy"  # another worker's lease on it still runs: try again later


def failure_reason(error: BaseException) -> str:
    """The one word a failed page is counted under (metrics, the API)."""
    if isinstance(error, JailError):
        return error.reason
    if isinstance(error, EngineTimeoutError):
        return "timeout"
    if isinstance(error, EngineUnavailableError):
        return "unavailable"
    if isinstance(error, OcrInputError):
        return "input"
    return "engine"


class JailedEngine:
    """An engine whose reads each run in the page jail; everything else is the engine's own."""

    def __init__(self, engine: OcrEngine, limits: JailLimits):
        self._engine = engine
        self._limits = limits

    def __getattr__(self, attribute: str) -> object:
        return getattr(self._engine, attribute)

    def recognize(self, image: ImageSource, options: RecognizeOptions) -> OcrResult:
        engine = self._engine
        return run_jailed(
            lambda: engine.recognize(image, options),
            self._limits,
            deadline.remaining(options.timeout_seconds),
            getattr(engine, "programs", ()),
            what=f"engine {getattr(engine, 'name', '?')}",
        )


def jailed_engines(limits: JailLimits, engines: EngineLookup = get_engine) -> EngineLookup:
    """An engine lookup whose engines read in the jail (loaded once, here, before any fork)."""
    return lambda name: JailedEngine(engines(name), limits)  # type: ignore[return-value]


class PageRunner:
    def __init__(
        self,
        store_: Store,
        router: Router,
        on_job_done: Callable[[str], None] = lambda job_id: None,
        on_page: Callable[[PageOutcome], None] = lambda outcome: None,
    ):
        self.store = store_
        self.router = router
        self.on_job_done = on_job_done
        self.on_page = on_page

    def run(self, job_id: str, page: int) -> Ran:
        """Read page `page` of job `job_id` unless it is finished or held; safe to call any number of times."""
        with self.store.session() as session:
            row = session.get(JobPage, (job_id, page))
            job = session.get(Job, job_id)
            if row is None or job is None or row.status in ("done", "failed"):
                return Ran.ALREADY
            earlier = _served_run(session, row.request_id)
        claimed = store.claim(self.store, job_id, page, earlier.request_id if earlier else None)
        if claimed is None:
            return Ran.BUSY
        request_id, attempts = claimed
        log.info("job %s page %s: reading it (attempt %s, stored request %s)", job_id, page, attempts, request_id)
        if earlier is not None:
            outcome = _outcome_of(earlier)
        elif attempts > MAX_ATTEMPTS:
            outcome = PageOutcome(None, None, f"its worker died {MAX_ATTEMPTS} times reading it", "signal")
        else:
            with _heartbeat(self.store, job_id, page, request_id):
                outcome = self._read(job, row, request_id)
        self.on_page(outcome)
        recorded = store.finish(self.store, job_id, page, request_id, outcome)
        log.info(
            "job %s page %s: %s by %s%s (%s)",
            job_id,
            page,
            "failed" if outcome.error else "read",
            outcome.engine or "no engine",
            f", {outcome.reason}: {outcome.error}" if outcome.error else "",
            "recorded" if recorded is not Recorded.NOTHING else "another attempt recorded it",
        )
        if recorded is not Recorded.NOTHING:
            metrics.record_page(outcome)
        if recorded is Recorded.JOB:
            metrics.record_job(job.created_at)
            self.on_job_done(job_id)
        return Ran.FINISHED

    def _read(self, job: Job, row: JobPage, request_id: str) -> PageOutcome:
        started = time.perf_counter()
        options = RecognizeOptions.from_settings(job.options, self.router.serve_timeout)
        try:
            image = row.image if row.image is not None else _rendered(job, row.page)
            served = self.router.serve(
                image, job.unit, job.category, gate=job.gate, options=options, client=job.client, request_id=request_id
            )
        except OcrgateError as exc:
            return PageOutcome(
                self._served_engine(request_id),
                None,
                str(exc),
                failure_reason(exc),
                (time.perf_counter() - started) * 1000,
            )
        return PageOutcome(served.engine, served.result.to_dict(), latency_ms=(time.perf_counter() - started) * 1000)

    def _served_engine(self, request_id: str) -> str | None:
        """The engine that served (and failed) the attempt's request; None when it was refused before."""
        with self.store.session() as session:
            request = session.get(Request, request_id)
            return request.served_engine if request is not None else None


def _rendered(job: Job, number: int) -> bytes:
    assert job.document is not None, "a PDF job keeps its document"
    return page_png(pages.render(job.document, number))


def _served_run(session, request_id: str | None) -> EngineRun | None:
    """The served run of an earlier attempt's request, if that attempt got as far as serving."""
    if request_id is None:
        return None
    request = session.get(Request, request_id)
    if request is None or request.status not in ("served", "failed"):
        return None
    return session.scalars(
        select(EngineRun).where(EngineRun.request_id == request_id, EngineRun.role == RunRole.SERVED)
    ).first()


def _outcome_of(run: EngineRun) -> PageOutcome:
    if run.error is None:
        return PageOutcome(run.engine, run.result, latency_ms=run.latency_ms)
    return PageOutcome(run.engine, None, run.error, "engine", run.latency_ms)


@contextmanager
def _heartbeat(store_: Store, job_id: str, page: int, request_id: str) -> Iterator[None]:
    """Renew the page's lease every third of it while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(store.LEASE_SECONDS / 3):
            try:
                store.renew(store_, job_id, page, request_id)
            except Exception:  # a missed beat costs at most a duplicate read, never a result
                log.exception("could not renew the lease on job %s page %s", job_id, page)

    thread = threading.Thread(target=beat, name=f"lease:{job_id}:{page}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
