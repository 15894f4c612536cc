"""Reading stored pairs: each with its control run and its candidate run, in one query."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased

from kernel.errors import OcrInputError
from kernel.settings import shown
from rollout.store.models import EngineRun, Pair, PairKind, Request, Side

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


def filter_pairs(
    query: Select,
    *,
    category: str | None = None,
    gate: str | None = None,
    kind: str | None = None,
    client: str | None = None,
) -> Select:
    """`query` (from `paired_runs`) narrowed to a category, a gate, a kind and the requests of one API
    client; None or "" leaves a filter off. A kind outside the closed set is an OcrInputError."""
    if kind:
        if kind not in set(PairKind):
            raise OcrInputError(f"kind must be one of {', '.join(PairKind)}, got {shown(kind)}")
        query = query.where(Pair.kind == PairKind(kind))
    if category:
        query = query.where(Pair.category == category)
    if gate:
        query = query.where(Pair.gate == gate)
    if client is not None:
        query = query.where(Request.client == client)
    return query


def served_and_shadow(pair: Pair, control: EngineRun, candidate: EngineRun) -> tuple[EngineRun, EngineRun]:
    """The pair's runs in the order the caller saw them: (served, shadow)."""
    return (candidate, control) if pair.served_side is Side.CANDIDATE else (control, candidate)
