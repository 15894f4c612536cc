"""Retention: what the store forgets, and when.

A request expires when it and everything recorded about it (its engine runs, pairs and finished
shadow jobs) is older than the retention period (`OCRGATE_RETENTION_DAYS`). `purge` deletes
expired requests with their children, children first, in one transaction, then the images no
request refers to any more. It never deletes a request `protected_request_ids` names:

- one with a shadow job still pending or running (the job re-reads the request and its image);
- one with labelled-truth tasks (`rollout.truth`): the labelled set and its queue, and what the
  audit log's `label` entries point at (they name tasks, which name the pair and the request);
- one read for a job page (`jobs`, `job_pages`) unless the job expires with it.

A job expires when it is finished (`done`) before the cutoff and every request its pages were read
as expires: then the job, its pages and those requests are purged together. A job that is queued
or running, or finished since the cutoff, keeps its requests; so does a job one of whose requests
something else keeps (all of them, so a job's results and its evidence go together).

The audit log itself is append-only and never purged. Its other entries name gates, users and
lab-notebook experiments, never requests or pairs: a guard finding keeps its numbers (n,
estimate, interval, p, verdict) in the entry, so it needs no traffic row kept for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, or_, select
from sqlalchemy.orm import Session

from rollout.store import Store
from rollout.store.models import (
    EngineRun,
    ImageBlob,
    Job,
    JobPage,
    JobStatus,
    Pair,
    Request,
    ShadowJob,
    TruthTask,
    utcnow,
)

#: shadow job states that still need their request
UNFINISHED_JOBS = ("pending", "running")
#: ids per IN (...) list: far below SQLite's and PostgreSQL's bound-parameter limits
BATCH = 500


@dataclass(frozen=True)
class PurgeReport:
    """What a purge deleted (or, for a dry run, would delete)."""

    cutoff: datetime
    dry_run: bool
    requests: int = 0
    engine_runs: int = 0
    pairs: int = 0
    shadow_jobs: int = 0
    images: int = 0
    jobs: int = 0
    job_pages: int = 0
    protected: int = 0  # expired requests kept because something still needs them
    request_ids: tuple[str, ...] = field(default=(), repr=False)

    def counts(self) -> dict[str, Any]:
        """The report as JSON-able data (without the ids)."""
        return {
            "cutoff": self.cutoff.isoformat(timespec="seconds"),
            "dry_run": self.dry_run,
            "requests": self.requests,
            "engine_runs": self.engine_runs,
            "pairs": self.pairs,
            "shadow_jobs": self.shadow_jobs,
            "images": self.images,
            "jobs": self.jobs,
            "job_pages": self.job_pages,
            "protected": self.protected,
        }


def protected_request_ids(session: Session, cutoff: datetime) -> set[str]:
    """Requests created before `cutoff` that the purge must keep (see the module docstring). A
    feature that needs requests kept adds its query here."""
    old = Request.created_at < cutoff
    needed: list[Select[Any]] = [
        select(ShadowJob.request_id).join(Request).where(old, ShadowJob.status.in_(UNFINISHED_JOBS)),
        select(TruthTask.request_id).join(Request).where(old),
        select(Request.id).join(JobPage, JobPage.request_id == Request.id).join(Job).where(old, ~_job_expired(cutoff)),
    ]
    return {str(request_id) for query in needed for request_id in session.scalars(query)}


def _expired(cutoff: datetime) -> ColumnElement[bool]:
    """A request older than `cutoff` with nothing recorded about it since."""
    recent = (
        exists().where(EngineRun.request_id == Request.id, EngineRun.created_at >= cutoff),
        exists().where(Pair.request_id == Request.id, Pair.created_at >= cutoff),
        exists().where(
            ShadowJob.request_id == Request.id,
            or_(ShadowJob.finished_at >= cutoff, ShadowJob.created_at >= cutoff),
        ),
    )
    return (Request.created_at < cutoff) & ~or_(*recent)


def _job_expired(cutoff: datetime) -> ColumnElement[bool]:
    """A job finished before `cutoff` (its requests decide whether it goes: see `_jobs_to_purge`)."""
    return (Job.status == JobStatus.DONE) & (Job.finished_at < cutoff)


def _jobs_to_purge(session: Session, cutoff: datetime, requests: set[str]) -> tuple[list[str], set[str]]:
    """The expired jobs every one of whose stored requests is in `requests`, and the requests of the
    other expired jobs (kept with their job)."""
    owned: dict[str, set[str]] = {}
    query = (
        select(Job.id, Request.id)
        .outerjoin(JobPage, JobPage.job_id == Job.id)
        .outerjoin(Request, Request.id == JobPage.request_id)
    )
    for job_id, request_id in session.execute(query.where(_job_expired(cutoff))):
        ids = owned.setdefault(job_id, set())
        if request_id is not None:
            ids.add(request_id)
    kept = {job_id for job_id, ids in owned.items() if not ids <= requests}
    return sorted(set(owned) - kept), {request_id for job_id in kept for request_id in owned[job_id]}


def _batches(ids: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = list(ids)
    for start in range(0, len(ordered), BATCH):
        yield ordered[start : start + BATCH]


def _ids(session: Session, column: Any, where: Any, keys: list[Any]) -> list[Any]:
    """`column` of the rows whose `where` column is in `keys`, batch by batch."""
    found: list[Any] = []
    for batch in _batches(keys):
        found.extend(session.scalars(select(column).where(where.in_(batch))))
    return found


def _delete(session: Session, key: Any, ids: list[Any]) -> None:
    for batch in _batches(ids):
        session.execute(delete(key.class_).where(key.in_(batch)))


def purge(store: Store, days: int, *, dry_run: bool = False, now: datetime | None = None) -> PurgeReport:
    """Delete what expired more than `days` days before `now` (default: now), in one transaction.
    A dry run does the same and rolls it back: its counts are exactly what a purge would delete."""
    cutoff = (now or utcnow()) - timedelta(days=days)
    with store.session() as session:
        expired = set(session.scalars(select(Request.id).where(_expired(cutoff))))
        protected = protected_request_ids(session, cutoff) & expired
        job_ids, kept_with_their_job = _jobs_to_purge(session, cutoff, expired - protected)
        protected |= kept_with_their_job & expired
        requests = sorted(expired - protected)
        job_pages = _ids(session, JobPage.page, JobPage.job_id, job_ids)
        pairs = _ids(session, Pair.id, Pair.request_id, requests)
        runs = _ids(session, EngineRun.id, EngineRun.request_id, requests)
        shadow_jobs = _ids(session, ShadowJob.id, ShadowJob.request_id, requests)
        images = sorted(set(_ids(session, Request.image_sha256, Request.id, requests)))
        _delete(session, Pair.id, pairs)  # pairs name runs and requests: first
        _delete(session, EngineRun.id, runs)
        _delete(session, ShadowJob.id, shadow_jobs)
        _delete(session, Request.id, requests)
        _delete(session, JobPage.job_id, job_ids)  # a job's pages, then the job
        _delete(session, Job.id, job_ids)
        unused = ~exists().where(Request.image_sha256 == ImageBlob.sha256)
        orphans = [
            digest
            for batch in _batches(images)
            for digest in session.scalars(select(ImageBlob.sha256).where(ImageBlob.sha256.in_(batch), unused))
        ]
        _delete(session, ImageBlob.sha256, orphans)
        if dry_run:
            session.rollback()
    return PurgeReport(
        cutoff=cutoff,
        dry_run=dry_run,
        requests=len(requests),
        engine_runs=len(runs),
        pairs=len(pairs),
        shadow_jobs=len(shadow_jobs),
        images=len(orphans),
        jobs=len(job_ids),
        job_pages=len(job_pages),
        protected=len(protected),
        request_ids=tuple(requests),
    )
