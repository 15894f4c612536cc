"""Reading stored pairs: each with its control run and its candidate run, in one query."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from rollout.store.models import EngineRun, Pair, Request, Side

ControlRun = aliased(EngineRun, name="control_run")
CandidateRun = aliased(EngineRun, name="candidate_run")


def paired_runs() -> Select:
    """Rows of (Pair, control run, candidate run, Request), newest first; filter with
    `ControlRun` / `CandidateRun` columns."""
    return (
        select(Pair, ControlRun, CandidateRun, Request)
        .join(ControlRun, Pair.control_run_id == ControlRun.id)
        .join(CandidateRun, Pair.candidate_run_id == CandidateRun.id)
        .join(Request, Pair.request_id == Request.id)
        .order_by(Pair.id.desc())
    )


def served_and_shadow(pair: Pair, control: EngineRun, candidate: EngineRun) -> tuple[EngineRun, EngineRun]:
    """The pair's runs in the order the caller saw them: (served, shadow)."""
    return (candidate, control) if pair.served_side is Side.CANDIDATE else (control, candidate)
