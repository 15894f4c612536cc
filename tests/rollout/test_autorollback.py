"""Automatic rollback of a serving candidate: on a guardrail (here labelled accuracy) or the
emergency brake (a candidate that fails on most requests), audited with its numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engines.registry import get_engine
from rollout.autorollback import check_and_roll_back
from rollout.gate_store import GateChange, change_gate, create_gate, get_gate
from rollout.guard import EvidenceRules
from rollout.store.models import AuditEntry, TruthTask
from rollout.truth import grant_consent, record_label
from tests.rollout_fixtures import serve_traffic

RULES = EvidenceRules(min_pages=1, min_pairs=5, max_error_gap=0.02, max_latency_ratio=1.5, min_labels=10)


@pytest.fixture
def serving(sqlite_store, test_engines):
    create_gate(sqlite_store, "g", "alpha", "breakable", actor="ops")
    change_gate(sqlite_store, "g", GateChange(stage="rollout", percent=50, aa_percent=0), actor="ops")
    return sqlite_store


def _kill(store) -> AuditEntry:
    with store.session() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.action == "kill")).one()


def test_a_healthy_candidate_is_left_alone_and_a_broken_one_is_braked(serving):
    serve_traffic(serving, 30)
    assert not check_and_roll_back(serving, "g", rules=lambda: RULES)
    get_engine("breakable").broken.set()
    serve_traffic(serving, 30)
    assert check_and_roll_back(serving, "g", rules=lambda: RULES)
    assert get_gate(serving, "g").killed
    kill = _kill(serving)
    assert kill.actor == "auto-rollback" and "guardrail failed" in kill.reason
    assert any(f["check"] == "error_rate" for f in kill.after["guard_findings"])


def test_labels_that_show_the_candidate_worse_roll_it_back(serving):
    with serving.session() as session:
        grant_consent(session, "category", "receipts", actor="ops")
    serve_traffic(serving, 12)
    with serving.session() as session:
        for task in session.scalars(select(TruthTask)):
            record_label(session, task.id, "lena", "hello")
            record_label(session, task.id, "omar", "hello")
    assert check_and_roll_back(serving, "g", rules=lambda: RULES)
    kill = _kill(serving)
    assert [f["check"] for f in kill.after["guard_findings"]] == ["labelled_accuracy"]
