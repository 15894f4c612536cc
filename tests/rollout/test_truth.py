"""Labelled truth from traffic: consented traffic only, crops sampled by stratum with weights, two
labellers must agree, every label audited, and the guard reads which engine is right."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engines import BBox, Block, Line, OcrResult, Page, Word
from kernel.errors import OcrInputError
from rollout.gate_store import GateChange, change_gate, create_gate, get_gate
from rollout.guard import EvidenceRules, RampGuard
from rollout.store.models import AuditEntry, TruthStratum, TruthTask
from rollout.truth import (
    UNREADABLE,
    choices,
    grant_consent,
    labelled_accuracy,
    labelled_words,
    matched_words,
    next_task,
    record_label,
    withdraw_consent,
)
from tests.rollout_fixtures import serve_traffic


@pytest.fixture
def gate(sqlite_store, test_engines):
    create_gate(sqlite_store, "g", "alpha", "beta", actor="ops")  # "hello" vs "hallo", one word per page
    change_gate(sqlite_store, "g", GateChange(stage="shadow", aa_percent=0), actor="ops")
    return sqlite_store


def _tasks(store) -> list[TruthTask]:
    with store.session() as session:
        return session.scalars(select(TruthTask).order_by(TruthTask.id)).all()


def test_only_consented_traffic_becomes_tasks(gate):
    serve_traffic(gate, 3, unit="private")
    assert _tasks(gate) == []
    with gate.session() as session:
        grant_consent(session, "unit", "team", actor="ops")
    serve_traffic(gate, 2, unit="team")
    serve_traffic(gate, 2, unit="private")
    tasks = _tasks(gate)
    assert len(tasks) == 2 and all(t.stratum is TruthStratum.DISAGREE and t.weight == 1 for t in tasks)
    assert {(t.control_text, t.candidate_text) for t in tasks} == {("hello", "hallo")}
    with gate.session() as session:
        withdraw_consent(session, "unit", "team", actor="ops")
        assert next_task(session, "lena") is None
        with pytest.raises(OcrInputError, match="not open for labelling"):
            record_label(session, tasks[0].id, "lena", "hello")
    assert _tasks(gate) == []  # unlabelled tasks of withdrawn traffic go
    with pytest.raises(OcrInputError, match="per unit or per category"):
        with gate.session() as session:
            grant_consent(session, "page", "x", actor="ops")


def test_two_labellers_must_agree_and_every_label_is_audited(gate):
    with gate.session() as session:
        grant_consent(session, "category", "receipts", actor="ops")
    serve_traffic(gate, 1, unit="team")
    with gate.session() as session:
        task = next_task(session, "lena")
        assert sorted(choices(task)) == ["hallo", "hello"]
        record_label(session, task.id, "lena", "hello")
        assert next_task(session, "lena") is None  # nobody reads a crop twice
        with pytest.raises(OcrInputError, match="already read"):
            record_label(session, task.id, "lena", "hello")
        record_label(session, task.id, "omar", "hellp")
        assert session.get(TruthTask, task.id).truth is None  # two readings, no agreement yet
        record_label(session, task.id, "ines", " hello ")
        assert session.get(TruthTask, task.id).truth == "hello"
        assert next_task(session, "zoe") is None  # settled tasks are not offered
        with pytest.raises(OcrInputError, match="not open for labelling"):
            record_label(session, task.id, "zoe", "hello")  # nor labelled, even by id
        with pytest.raises(OcrInputError, match="not open for labelling"):
            record_label(session, 10_000, "zoe", "hello")
        with pytest.raises(OcrInputError, match="printable"):
            record_label(session, task.id, "zoe", "\u202e")
        audited = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "label"))
    assert audited == 3


def test_labels_tell_the_guard_which_engine_is_right(gate):
    with gate.session() as session:
        grant_consent(session, "category", "receipts", actor="ops")
    serve_traffic(gate, 12, unit="team")
    with gate.session() as session:
        for task in _tasks(gate):
            record_label(session, task.id, "lena", "hello")
            record_label(session, task.id, "omar", "hello")
        words = labelled_words(session, "g")
    accuracy = labelled_accuracy(words["receipts"])
    assert (accuracy["words"], accuracy["control"]["value"], accuracy["candidate"]["value"]) == (12, 1.0, 0.0)
    assert accuracy["comparison"]["verdict"] == "worse"
    rules = EvidenceRules(min_pages=1, min_pairs=1, max_error_gap=0.02, max_latency_ratio=1.5, min_labels=10)
    findings = RampGuard(gate, notebook=lambda: [], rules=rules)(get_gate(gate, "g"), get_gate(gate, "g"))
    row = next(f for f in findings if f["source"] == "labels")
    assert row["verdict"] == "fail" and row["n"] == 12 and row["estimate"] == 1.0
    few = RampGuard(gate, notebook=lambda: [], rules=EvidenceRules(1, 1, 0.02, 1.5, min_labels=50))
    row = next(f for f in few(get_gate(gate, "g"), get_gate(gate, "g")) if f["source"] == "labels")
    assert row["verdict"] == "info" and "fewer than the 50" in row["message"]


def _word(text: str, x: int) -> Word:
    return Word(text, BBox(x, 0, x + 100, 30), 0.9)


def test_words_are_matched_by_box_not_by_order():
    control = OcrResult("a", "1", [Page(400, 40, [Block([Line([_word("one", 0), _word("two", 200)])])])])
    candidate = OcrResult("b", "1", [Page(400, 40, [Block([Line([_word("tvvo", 205)]), Line([_word("one", 2)]),
                                                          Line([_word("extra", 300)])])])])
    pairs = [(a.text, b.text) for _, a, b in matched_words(control, candidate)]
    assert pairs == [("one", "one"), ("two", "tvvo")]


def test_a_crop_two_labellers_cannot_read_is_settled_and_scores_no_engine(gate):
    with gate.session() as session:
        grant_consent(session, "category", "receipts", actor="ops")
    serve_traffic(gate, 1, unit="team")
    with gate.session() as session:
        task = next_task(session, "lena")
        record_label(session, task.id, "lena", UNREADABLE)
        record_label(session, task.id, "omar", UNREADABLE)
        assert session.get(TruthTask, task.id).truth == UNREADABLE
        assert next_task(session, "zoe") is None
        assert labelled_words(session, "g") == {}
