"""Read-only queries behind the admin pages."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from rollout.store.models import AuditEntry, EngineRun, Request, ShadowJob, utcnow

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
        counts[f"candidate_errors_{label}"] = session.scalar(
            select(func.count()).select_from(EngineRun).join(Request, EngineRun.request_id == Request.id)
            .where(Request.gate == gate, EngineRun.engine == candidate, EngineRun.error.is_not(None),
                   EngineRun.created_at >= since)) or 0
    counts["pending_shadows"] = session.scalar(
        select(func.count()).select_from(ShadowJob).join(Request, ShadowJob.request_id == Request.id)
        .where(Request.gate == gate, ShadowJob.status.in_(("pending", "running")))) or 0
    return counts


def audit_entries(session: Session, gate: str | None = None, actor: str | None = None,
                  action: str | None = None, limit: int = AUDIT_PAGE) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if gate:
        query = query.where(AuditEntry.gate == gate)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(session.scalars(query))


def audit_actions(session: Session) -> list[str]:
    return sorted(session.scalars(select(AuditEntry.action).distinct()))
