"""Shadow jobs: run the other engine in the background, store its output and the pair.

Jobs live in the store. A bounded in-process queue feeds a few worker threads; a full queue
drops nothing (the job stays pending and the sweeper hands it in later). A worker claims a job
with a lease; if the process dies mid-job, the lease expires and the next sweep (on restart, or
in any other process sharing the store) runs it again. An engine that raises or hangs only
fails its own job.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from datetime import timedelta

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from engines.options import RecognizeOptions
from engines.registry import get_engine
from engines.result import OcrResult
from rollout.runs import EngineLookup, observe_engine, run_row, store_pair
from rollout.store import Store
from rollout.store.models import EngineRun, ImageBlob, Request, RunRole, ShadowJob, ShadowRole, Side, as_utc, utcnow

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
#: shadow threads (and the engine subprocesses they start) yield the CPU to the served path
SHADOW_NICENESS = 10


def _yield_cpu_to_served_path() -> None:
    """Lower this thread's scheduling priority (Linux niceness is per thread, and inherited by
    the subprocesses it starts, e.g. tesseract)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), SHADOW_NICENESS)
    except (AttributeError, OSError):
        log.info("cannot lower shadow thread priority on this platform")


def _job(session: Session, job_id: int) -> ShadowJob:
    job = session.get(ShadowJob, job_id)
    assert job is not None, "claimed jobs are never deleted"
    return job


def _request_of(session: Session, job: ShadowJob) -> Request:
    request = session.get(Request, job.request_id)
    assert request is not None, "a job's request is stored before the job"
    return request


class ShadowRunner:
    """Worker threads that run pending shadow jobs from the store."""

    def __init__(
        self,
        store: Store,
        *,
        workers: int = 2,
        queue_size: int = 256,
        timeout: float = 120.0,
        sweep_seconds: float = 5.0,
        lease_grace: float = 30.0,
        engines: EngineLookup = get_engine,
        lease_seconds: float | None = None,
    ):
        self.store = store
        # a claimed job is presumed dead (its worker crashed) once this long has passed; an engine
        # that may outlive its deadline needs twice the timeout, a jailed one (killed on time) less
        self.lease_seconds = lease_seconds or timeout * 2 + lease_grace
        self.workers = workers
        self.timeout = timeout
        self.sweep_seconds = sweep_seconds
        self.engines = engines
        self._queue: queue.Queue[int] = queue.Queue(maxsize=queue_size)
        self._queued: set[int] = set()
        self._busy = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> ShadowRunner:
        for n in range(self.workers):
            thread = threading.Thread(target=self._work_loop, name=f"shadow-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        sweeper = threading.Thread(target=self._sweep_loop, name="shadow-sweeper", daemon=True)
        sweeper.start()
        self._threads.append(sweeper)
        return self

    def stop(self) -> None:
        self._stop.set()

    def submit(self, job_id: int) -> bool:
        """Queue a job without blocking; False when the queue is full (the sweeper retries later)."""
        with self._lock:
            if job_id in self._queued:
                return True
            try:
                self._queue.put_nowait(job_id)
            except queue.Full:
                return False
            self._queued.add(job_id)
            return True

    def sweep(self) -> int:
        """Queue every pending job and every running job whose lease has expired (crash recovery)."""
        now = utcnow()
        with self.store.session() as session:
            ids = session.scalars(
                select(ShadowJob.id)
                .where(
                    or_(ShadowJob.status == "pending", (ShadowJob.status == "running") & (ShadowJob.lease_until < now))
                )
                .order_by(ShadowJob.id)
                .limit(self._queue.maxsize)
            ).all()
        return sum(1 for job_id in ids if self.submit(job_id))

    def pending(self) -> int:
        with self.store.session() as session:
            return len(session.scalars(select(ShadowJob.id).where(ShadowJob.status.in_(("pending", "running")))).all())

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued or running (tests, graceful shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                idle = not self._queued and self._busy == 0
            if idle:
                return True
            time.sleep(0.02)
        return False

    # --- workers --------------------------------------------------------------------
    def _sweep_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.sweep()
            except Exception:
                log.exception("shadow sweep failed")
            self._stop.wait(self.sweep_seconds)

    def _work_loop(self) -> None:
        _yield_cpu_to_served_path()
        while not self._stop.is_set():
            try:
                job_id = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            with self._lock:
                self._busy += 1
                self._queued.discard(job_id)
            try:
                self.run_job(job_id)
            except Exception:
                log.exception("shadow job %s failed to record; its lease will expire and it will re-run", job_id)
            finally:
                with self._lock:
                    self._busy -= 1

    def _claim(self, job_id: int) -> bool:
        now = utcnow()
        lease = now + timedelta(seconds=self.lease_seconds)
        with self.store.session() as session:
            claimed: CursorResult = session.execute(  # type: ignore[assignment]
                update(ShadowJob)
                .where(
                    ShadowJob.id == job_id,
                    or_(ShadowJob.status == "pending", (ShadowJob.status == "running") & (ShadowJob.lease_until < now)),
                )
                .values(status="running", lease_until=lease, attempts=ShadowJob.attempts + 1)
            )
            return claimed.rowcount == 1

    def run_job(self, job_id: int) -> None:
        """Run one job to completion (or record its failure). Safe to call twice: the claim is atomic."""
        with self.store.session() as session:
            job = session.get(ShadowJob, job_id)
            if job is None or job.status in ("done", "failed"):
                return
            request = _request_of(session, job)
            if request.status == "received":
                age = (utcnow() - as_utc(request.created_at)).total_seconds()
                if age < self.lease_seconds:
                    return  # the served run is still in flight: the router submits the job when it lands
                request.status = "abandoned"  # the serving process died mid-request
            if job.attempts >= MAX_ATTEMPTS:
                job.status, job.error, job.finished_at = "failed", "gave up after repeated crashes", utcnow()
                return
        if not self._claim(job_id):
            return
        with self.store.session() as session:
            job = _job(session, job_id)
            request = _request_of(session, job)
            blob = session.get(ImageBlob, request.image_sha256)
            assert blob is not None, "a request's image is stored with it"
            image, engine_name, role, request_id = blob.data, job.engine, job.role, job.request_id
            # exactly the served request's options; only the time limit is the shadow lane's own
            options = RecognizeOptions.from_settings(request.options, self.timeout)
        observation = observe_engine(self.engines, engine_name, image, options, self.timeout)
        with self.store.session() as session:
            job = _job(session, job_id)
            side = Side.CONTROL if role in (ShadowRole.CONTROL, ShadowRole.AA) else Side.CANDIDATE
            shadow = run_row(request_id, observation, RunRole.AA if role is ShadowRole.AA else RunRole.SHADOW, side)
            session.add(shadow)
            session.flush()
            served = session.scalars(
                select(EngineRun).where(EngineRun.request_id == request_id, EngineRun.role == RunRole.SERVED)
            ).first()
            if served is None:
                job.status, job.finished_at = "done", utcnow()  # nothing was served: keep the run, no pair
                return
            served_result = OcrResult.from_dict(served.result) if served.result else None
            if role is ShadowRole.CONTROL:
                store_pair(
                    session,
                    job,
                    control=shadow,
                    candidate=served,
                    served_side=Side.CANDIDATE,
                    control_result=observation.result,
                    candidate_result=served_result,
                )
            else:
                store_pair(
                    session,
                    job,
                    control=served,
                    candidate=shadow,
                    served_side=Side.CONTROL,
                    control_result=served_result,
                    candidate_result=observation.result,
                )
