"""Labelled truth from traffic (the reference design's DropTurk): people read word crops where the
engines disagree, and a sample of where they agree, so that traffic says which engine is right.

- **Sampling** (`sample_tasks`, called when a pair is stored): only requests whose unit or category
  opted in (`labelling_consent`). The candidate's words are matched to the control's by box (IoU ≥
  MATCH_IOU); of the matched words, up to PER_PAIR[stratum] are drawn at random from each stratum
  (readings differ / readings equal), and each task keeps the weight n / k that undoes the draw.
- **Labelling**: a labeller sees one crop (never the page) and types its text or picks one of the
  readings, shown unnamed in random order. A task's truth is the first reading two labellers share;
  every label is audited.
- **Accuracy** (`labelled_accuracy`): per category, each engine's weighted word accuracy on the
  tasks with a truth, with intervals, and the paired comparison of the two (evaluation.stats).
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from engines.result import BBox, OcrResult, Word
from evaluation.normalize import normalize
from evaluation.stats import bootstrap_ratio, paired_comparison
from kernel.errors import OcrInputError
from rollout import labels
from rollout.gate_store import record_audit
from rollout.store.models import (
    ConsentKind,
    LabellingConsent,
    Pair,
    Request,
    TruthLabel,
    TruthStratum,
    TruthTask,
)

MATCH_IOU = 0.5
#: at most this many tasks per pair from each stratum: disagreements carry the information
PER_PAIR = {TruthStratum.DISAGREE: 3, TruthStratum.AGREE: 1}
#: labellers who must type the same reading before it is a task's truth
AGREEING_LABELLERS = 2
MAX_TEXT = 200
#: what a labeller answers for a crop nobody can read (blurred, cut, not a word): two such answers
#: settle the task, and it scores neither engine
UNREADABLE = "[unreadable]"


# --- consent -------------------------------------------------------------------------------------


def grant_consent(session: Session, kind: str, value: str, actor: str) -> None:
    """Let labellers see word crops from `value`'s traffic (a unit or a category); audited."""
    consent_kind = _consent_kind(kind)
    value = labels.unit(value) if consent_kind is ConsentKind.UNIT else labels.category(value)
    if session.get(LabellingConsent, (consent_kind, value)) is None:
        session.add(LabellingConsent(kind=consent_kind, value=value, granted_by=actor))
        record_audit(session, actor, "consent", None, None, {"kind": consent_kind.value, "value": value}, None)


def withdraw_consent(session: Session, kind: str, value: str, actor: str) -> None:
    """Stop sampling `value`'s traffic and drop its unlabelled tasks; audited."""
    consent_kind = _consent_kind(kind)
    row = session.get(LabellingConsent, (consent_kind, value))
    if row is None:
        raise OcrInputError(f"no labelling consent for {kind} {value!r}")
    session.delete(row)
    column = Request.unit if consent_kind is ConsentKind.UNIT else Request.category
    unlabelled = (
        select(TruthTask.id)
        .join(Request, TruthTask.request_id == Request.id)
        .where(column == value, ~exists().where(TruthLabel.task_id == TruthTask.id))
    )
    for task in session.scalars(select(TruthTask).where(TruthTask.id.in_(unlabelled))):
        session.delete(task)
    record_audit(session, actor, "consent-withdraw", None, {"kind": consent_kind.value, "value": value}, None, None)


def consents(session: Session) -> list[tuple[str, str]]:
    return [
        (row.kind.value, row.value)
        for row in session.scalars(select(LabellingConsent).order_by(LabellingConsent.kind, LabellingConsent.value))
    ]


def _consent_kind(kind: str) -> ConsentKind:
    try:
        return ConsentKind(kind)
    except ValueError:
        raise OcrInputError(f"consent is given per unit or per category, not {kind!r}") from None


def _consents(unit: Any, category: Any) -> Any:
    """A clause: some consent covers traffic of `unit` or `category` (values or columns)."""
    return exists().where(
        or_(
            and_(LabellingConsent.kind == ConsentKind.UNIT, LabellingConsent.value == unit),
            and_(LabellingConsent.kind == ConsentKind.CATEGORY, LabellingConsent.value == category),
        )
    )


def _consented(session: Session, request: Request) -> bool:
    return session.scalar(select(_consents(request.unit, request.category))) is True


def _open_tasks() -> Any:
    """Tasks a labeller may read: no truth yet, from traffic that still consents."""
    return (
        select(TruthTask)
        .join(Request, TruthTask.request_id == Request.id)
        .where(TruthTask.truth.is_(None), _consents(Request.unit, Request.category))
    )


# --- sampling ------------------------------------------------------------------------------------


def matched_words(control: OcrResult, candidate: OcrResult) -> list[tuple[int, Word, Word]]:
    """(page, control word, candidate word) for each control word whose best-overlapping candidate
    word on the same page has IoU ≥ MATCH_IOU (each candidate word used once)."""
    matches = []
    for index, (page_a, page_b) in enumerate(zip(control.pages, candidate.pages, strict=False)):
        free = [w for w in page_b.words if w.text.strip()]
        for word in (w for w in page_a.words if w.text.strip()):
            best = max(free, key=lambda other: word.bbox.iou(other.bbox), default=None)
            if best is not None and word.bbox.iou(best.bbox) >= MATCH_IOU:
                matches.append((index, word, best))
                free.remove(best)
    return matches


def sample_tasks(
    session: Session, pair: Pair, request: Request, control: OcrResult | None, candidate: OcrResult | None
) -> int:
    """Add the pair's word tasks if its request may be labelled; returns how many."""
    if control is None or candidate is None or pair.kind != "candidate" or not _consented(session, request):
        return 0
    strata: dict[TruthStratum, list[tuple[int, Word, Word]]] = defaultdict(list)
    for page, a, b in matched_words(control, candidate):
        same = normalize(a.text) == normalize(b.text)
        strata[TruthStratum.AGREE if same else TruthStratum.DISAGREE].append((page, a, b))
    draw = random.Random(int.from_bytes(hashlib.sha256(f"{pair.request_id}:{pair.id}".encode()).digest()[:8], "big"))
    added = 0
    for stratum, words in strata.items():
        chosen = draw.sample(words, min(len(words), PER_PAIR[stratum]))
        for page, a, b in chosen:
            session.add(
                TruthTask(
                    pair_id=pair.id,
                    request_id=request.id,
                    gate=request.gate,
                    category=request.category,
                    page=page,
                    bbox=BBox.union([a.bbox, b.bbox]).as_list(),
                    control_text=a.text[:MAX_TEXT],
                    candidate_text=b.text[:MAX_TEXT],
                    stratum=stratum,
                    weight=len(words) / len(chosen),
                )
            )
            added += 1
    return added


# --- labelling -----------------------------------------------------------------------------------


def next_task(session: Session, labeller: str, gate: str | None = None) -> TruthTask | None:
    """The oldest task without a truth that `labeller` has not read, from traffic that still consents."""
    mine = exists().where(TruthLabel.task_id == TruthTask.id, TruthLabel.labeller == labeller)
    query = _open_tasks().where(~mine).order_by(TruthTask.id).limit(1)
    if gate:
        query = query.where(TruthTask.gate == gate)
    return session.scalars(query).first()


def choices(task: TruthTask) -> list[str]:
    """The readings to offer, unnamed, in an order fixed per task (not per engine)."""
    readings = sorted({task.control_text, task.candidate_text})
    random.Random(task.id).shuffle(readings)
    return readings


def record_label(session: Session, task_id: int, labeller: str, text: str) -> TruthTask:
    """Store `labeller`'s reading of the task; two labellers typing the same reading make it the truth."""
    text = " ".join(text.split())
    if not text or len(text) > MAX_TEXT or not text.isprintable():
        raise OcrInputError(f"a reading must be 1-{MAX_TEXT} printable characters")
    task = session.scalars(_open_tasks().where(TruthTask.id == task_id)).first()
    if task is None:
        raise OcrInputError(f"task {task_id} is not open for labelling (unknown, settled, or no longer consented)")
    if session.scalar(
        select(func.count())
        .select_from(TruthLabel)
        .where(TruthLabel.task_id == task_id, TruthLabel.labeller == labeller)
    ):
        raise OcrInputError(f"you already read task {task_id}")
    session.add(TruthLabel(task_id=task_id, labeller=labeller, text=text))
    session.flush()
    readings = session.scalars(select(TruthLabel.text).where(TruthLabel.task_id == task_id)).all()
    agreed = [r for r in set(readings) if sum(normalize(x) == normalize(r) for x in readings) >= AGREEING_LABELLERS]
    if task.truth is None and agreed:
        task.truth = agreed[0]
    record_audit(
        session, labeller, "label", task.gate, None, {"task": task_id, "text": text, "truth": task.truth}, None
    )
    return task


# --- accuracy ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabelledWord:
    weight: float
    control_correct: bool
    candidate_correct: bool


def labelled_words(session: Session, gate: str, since: datetime | None = None) -> dict[str, list[LabelledWord]]:
    """Per category: the gate's tasks that have a truth, scored for both engines."""
    query = select(TruthTask).where(TruthTask.gate == gate, TruthTask.truth.is_not(None))
    if since is not None:
        query = query.where(TruthTask.created_at >= since)
    words: dict[str, list[LabelledWord]] = defaultdict(list)
    for task in session.scalars(query.where(TruthTask.truth != UNREADABLE)):
        truth = normalize(task.truth or "")
        words[task.category].append(
            LabelledWord(task.weight, normalize(task.control_text) == truth, normalize(task.candidate_text) == truth)
        )
    return dict(words)


def labelled_accuracy(words: list[LabelledWord]) -> dict[str, Any]:
    """Weighted word accuracy of each engine with its interval, and the paired comparison of their
    word error (candidate − control; lower is better) over the same labelled words."""
    weights = [w.weight for w in words]
    control_errors = [w.weight * (not w.control_correct) for w in words]
    candidate_errors = [w.weight * (not w.candidate_correct) for w in words]

    def accuracy(errors: list[float]) -> dict[str, float]:
        value, low, high = bootstrap_ratio(errors, weights)
        return {"value": 1 - value, "low": 1 - high, "high": 1 - low}

    return {
        "words": len(words),
        "control": accuracy(control_errors),
        "candidate": accuracy(candidate_errors),
        "comparison": paired_comparison(control_errors, weights, candidate_errors, weights).as_dict(),
    }
