"""Jobs in the SQL store: created with all their pages in one transaction, each page claimed with
a lease that its worker renews, each result written once (keyed by job and page, by the attempt
that holds the page)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, and_, exists, func, or_, select, update

from engines.options import RecognizeOptions
from jobs.pages import Document
from rollout.store import Store
from rollout.store.models import Job, JobPage, JobStatus, PageStatus, utcnow

#: seconds a claimed page stays its worker's without a renewal; a killed worker's page is free after it
LEASE_SECONDS = 20.0
#: a page whose worker died this many times is failed instead of handed out again
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class NewJob:
    """What `POST /v1/jobs` asks for, checked."""

    client: str | None
    gate: str
    unit: str
    category: str
    options: RecognizeOptions
    callback_url: str | None = None
    #: the HTTP request that submitted it (its pages' log lines carry the id)
    http_request_id: str | None = None


def create_job(store: Store, new: NewJob, document: Document) -> str:
    """Store the job and its pages (pending); its id."""
    job_id = uuid.uuid4().hex
    now = utcnow()
    with store.session() as session:
        session.add(
            Job(
                id=job_id,
                client=new.client,
                gate=new.gate,
                unit=new.unit,
                category=new.category,
                options=new.options.output_settings(),
                kind=document.kind,
                document=document.pdf,
                pages=document.pages,
                status=JobStatus.QUEUED,
                callback_url=new.callback_url,
                http_request_id=new.http_request_id,
                created_at=now,
            )
        )
        session.flush()
        session.add_all(
            JobPage(
                job_id=job_id,
                page=number,
                status=PageStatus.PENDING,
                attempts=0,
                sent_at=now,
                image=document.page_pngs[number - 1] if document.page_pngs else None,
            )
            for number in range(1, document.pages + 1)
        )
    return job_id


def _claimable(now: Any) -> Any:
    return or_(
        JobPage.status == PageStatus.PENDING, and_(JobPage.status == PageStatus.RUNNING, JobPage.lease_until < now)
    )


def claim(store: Store, job_id: str, page: int, request_id: str | None = None) -> tuple[str, int] | None:
    """Take the page for an attempt: (its request id, its attempt number), or None when it is
    finished or another worker's lease on it still runs. `request_id`: keep the request of an
    attempt that was served but not recorded (default: a new one)."""
    now = utcnow()
    request_id = request_id or uuid.uuid4().hex
    with store.session() as session:
        claimed: CursorResult = session.execute(  # type: ignore[assignment]
            update(JobPage)
            .where(JobPage.job_id == job_id, JobPage.page == page, _claimable(now))
            .values(
                status=PageStatus.RUNNING,
                lease_until=now + timedelta(seconds=LEASE_SECONDS),
                attempts=JobPage.attempts + 1,
                request_id=request_id,
            )
        )
        if claimed.rowcount != 1:
            return None
        session.execute(
            update(Job).where(Job.id == job_id, Job.status == JobStatus.QUEUED).values(status=JobStatus.RUNNING)
        )
        attempts = session.scalar(select(JobPage.attempts).where(JobPage.job_id == job_id, JobPage.page == page))
    return request_id, int(attempts or 0)


def renew(store: Store, job_id: str, page: int, request_id: str) -> bool:
    """Extend the lease of the attempt `request_id`; False once the page is no longer its."""
    with store.session() as session:
        renewed: CursorResult = session.execute(  # type: ignore[assignment]
            update(JobPage)
            .where(
                JobPage.job_id == job_id,
                JobPage.page == page,
                JobPage.request_id == request_id,
                JobPage.status == PageStatus.RUNNING,
            )
            .values(lease_until=utcnow() + timedelta(seconds=LEASE_SECONDS))
        )
        return renewed.rowcount == 1


@dataclass(frozen=True)
class PageOutcome:
    engine: str | None
    result: dict[str, Any] | None
    error: str | None = None
    reason: str | None = None
    latency_ms: float | None = None


class Recorded(StrEnum):
    """What `finish` wrote."""

    NOTHING = "nothing"  # the attempt no longer held the page: another wrote (or will write) it
    PAGE = "page"
    JOB = "job"  # the page, and it was the job's last (the caller then sends its callback)


def finish(store: Store, job_id: str, page: int, request_id: str, outcome: PageOutcome) -> Recorded:
    """Record the page's outcome, once: only the attempt that holds the page writes."""
    status = PageStatus.DONE if outcome.error is None else PageStatus.FAILED
    now = utcnow()
    with store.session() as session:
        written: CursorResult = session.execute(  # type: ignore[assignment]
            update(JobPage)
            .where(
                JobPage.job_id == job_id,
                JobPage.page == page,
                JobPage.request_id == request_id,
                JobPage.status == PageStatus.RUNNING,
            )
            .values(
                status=status,
                engine=outcome.engine,
                result=outcome.result,
                error=outcome.error,
                reason=outcome.reason,
                latency_ms=outcome.latency_ms,
                finished_at=now,
                lease_until=None,
            )
        )
        if written.rowcount != 1:
            return Recorded.NOTHING
        unfinished = exists().where(
            JobPage.job_id == job_id, JobPage.status.in_((PageStatus.PENDING, PageStatus.RUNNING))
        )
        done: CursorResult = session.execute(  # type: ignore[assignment]
            update(Job)
            .where(Job.id == job_id, Job.status != JobStatus.DONE, ~unfinished)
            .values(status=JobStatus.DONE, finished_at=now)
        )
        return Recorded.JOB if done.rowcount == 1 else Recorded.PAGE


@dataclass(frozen=True)
class PageTask:
    """What a back end hands a worker for one page: the page, and the HTTP request that created its job."""

    job_id: str
    page: int
    http_request_id: str | None = None


def unfinished_pages(store: Store, limit: int = 1000) -> list[PageTask]:
    """Pages no live worker holds (pending, or their lease ran out): what a sweep hands out again."""
    now = utcnow()
    with store.session() as session:
        rows = session.execute(
            select(JobPage.job_id, JobPage.page, Job.http_request_id)
            .join(Job)
            .where(_claimable(now))
            .order_by(JobPage.job_id, JobPage.page)
            .limit(limit)
        ).all()
    return [PageTask(job_id, page, request_id) for job_id, page, request_id in rows]


def take_lost_pages(store: Store, age_seconds: float, limit: int = 1000) -> list[PageTask]:
    """Pages to send again: no live worker holds them (pending, or their lease ran out) and they were
    last sent more than `age_seconds` ago, so their message is presumed lost. Each is marked sent
    now, by a conditional update: of several sweepers at once, one takes a page."""
    now = utcnow()
    cutoff = now - timedelta(seconds=age_seconds)
    due = and_(_claimable(now), or_(JobPage.sent_at.is_(None), JobPage.sent_at <= cutoff))
    taken = []
    with store.session() as session:
        rows = session.execute(
            select(JobPage.job_id, JobPage.page, Job.http_request_id)
            .join(Job)
            .where(due)
            .order_by(JobPage.job_id, JobPage.page)
            .limit(limit)
        ).all()
        for job_id, page, request_id in rows:  # still due: no other sweeper marked it since
            marked: CursorResult = session.execute(  # type: ignore[assignment]
                update(JobPage).where(JobPage.job_id == job_id, JobPage.page == page, due).values(sent_at=now)
            )
            if marked.rowcount == 1:
                taken.append(PageTask(job_id, page, request_id))
    return taken


def queue_depth(store: Store) -> int:
    """Pages waiting or being read, over every job."""
    with store.session() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(JobPage)
                .where(JobPage.status.in_((PageStatus.PENDING, PageStatus.RUNNING)))
            )
            or 0
        )
