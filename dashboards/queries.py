"""Read-only queries behind the admin pages."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout.keyset import after_cursor, page_of
from rollout.store.models import AuditEntry, EngineRun, Request, ShadowJob, TruthLabel, TruthTask, utcnow

AUDIT_PAGE = 200


def gate_counts(session: Session, gate: str, candidate: str) -> dict[str, int]:
    """Requests, failed requests and candidate errors in the last hour and day; pending shadows."""
    now = utcnow()
    counts: dict[str, int] = {}
    for label, hours in (("1h", 1), ("24h", 24)):
        since = now - timedelta(hours=hours)
        requests = select(func.count()).select_from(Request).where(Request.gate == gate, Request.created_at >= since)
        counts[f"requests_{label}"] = session.scalar(requests) or 0
        counts[f"failed_{label}"] = session.scalar(requests.where(Request.status == "failed")) or 0
        counts[f"candidate_errors_{label}"] = (
            session.scalar(
                select(func.count())
                .select_from(EngineRun)
                .join(Request, EngineRun.request_id == Request.id)
                .where(
                    Request.gate == gate,
                    EngineRun.engine == candidate,
                    EngineRun.error.is_not(None),
                    EngineRun.created_at >= since,
                )
            )
            or 0
        )
    counts["pending_shadows"] = (
        session.scalar(
            select(func.count())
            .select_from(ShadowJob)
            .join(Request, ShadowJob.request_id == Request.id)
            .where(Request.gate == gate, ShadowJob.status.in_(("pending", "running")))
        )
        or 0
    )
    return counts


def audit_page(
    session: Session,
    gate: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    cursor: int | None = None,
    limit: int = AUDIT_PAGE,
) -> tuple[list[AuditEntry], int | None]:
    """Audit entries, newest first, below `cursor`; and the next page's cursor (None on the last)."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if gate:
        query = query.where(AuditEntry.gate == gate)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return page_of(
        session.scalars(after_cursor(query, AuditEntry.id, cursor, limit)).all(), limit, lambda entry: entry.id
    )


def audit_actions(session: Session) -> list[str]:
    return sorted(session.scalars(select(AuditEntry.action).distinct()))


def labelling_counts(session: Session) -> list[dict]:
    """Per gate and category: labelling tasks, those with a truth, those still open, and labels given."""
    labels = select(TruthLabel.task_id, func.count().label("labels")).group_by(TruthLabel.task_id).subquery()
    query = (
        select(
            TruthTask.gate,
            TruthTask.category,
            func.count(TruthTask.id),
            func.count(TruthTask.truth),
            func.coalesce(func.sum(labels.c.labels), 0),
        )
        .outerjoin(labels, labels.c.task_id == TruthTask.id)
        .group_by(TruthTask.gate, TruthTask.category)
        .order_by(TruthTask.gate, TruthTask.category)
    )
    rows = cast("list[tuple[str, str, int, int, int]]", session.execute(query).all())
    return [
        {
            "gate": gate,
            "category": category,
            "tasks": tasks,
            "settled": settled,
            "open": tasks - settled,
            "labels": given,
        }
        for gate, category, tasks, settled, given in rows
    ]
