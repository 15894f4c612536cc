"""Retention: what the store forgets, and when.

A request expires when it and everything recorded about it (its engine runs, pairs and finished
shadow jobs) is older than the retention period (`OCRGATE_RETENTION_DAYS`). `purge` deletes
expired requests with their children, children first, in one transaction, then the images no
request refers to any more. It never deletes a request `protected_request_ids` names:

- one with a shadow job still pending or running (the job re-reads the request and its image);
- one with labelled-truth tasks (`rollout.truth`): the labelled set and its queue, and what the
  audit log's `label` entries point at (they name tasks, which name the pair and the request).

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
from rollout.store.models import EngineRun, ImageBlob, Pair, Request, ShadowJob, TruthTask, utcnow

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
            "protected": self.protected,
        }


def protected_request_ids(session: Session, cutoff: datetime) -> set[str]:
    """Requests created before `cutoff` that the purge must keep (see the module docstring). A
    feature that needs requests kept adds its query here."""
    old = Request.created_at < cutoff
    needed: list[Select[Any]] = [
        select(ShadowJob.request_id).join(Request).where(old, ShadowJob.status.in_(UNFINISHED_JOBS)),
        select(TruthTask.request_id).join(Request).where(old),
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
        requests = sorted(expired - protected)
        pairs = _ids(session, Pair.id, Pair.request_id, requests)
        runs = _ids(session, EngineRun.id, EngineRun.request_id, requests)
        jobs = _ids(session, ShadowJob.id, ShadowJob.request_id, requests)
        images = sorted(set(_ids(session, Request.image_sha256, Request.id, requests)))
        _delete(session, Pair.id, pairs)  # pairs name runs and requests: first
        _delete(session, EngineRun.id, runs)
        _delete(session, ShadowJob.id, jobs)
        _delete(session, Request.id, requests)
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
        shadow_jobs=len(jobs),
        images=len(orphans),
        protected=len(protected),
        request_ids=tuple(requests),
    )
