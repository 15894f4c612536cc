"""Progressive rollouts: a gate climbs its schedule on the evidence of each step's traffic, waits
when the evidence is short, and is rolled back when a guardrail fails; every action is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engines.registry import get_engine
from kernel.errors import OcrInputError
from rollout.gate_store import GateChange, change_gate, create_gate, get_gate, kill_gate
from rollout.guard import EvidenceRules
from rollout.schedule import Pilot, get_schedule, set_schedule, stop_schedule
from rollout.store.models import AuditEntry, GateSchedule, Pair, ScheduleStatus
from tests.rollout_fixtures import serve_traffic

RULES = EvidenceRules(min_pages=30, min_pairs=10, max_error_gap=0.02, max_latency_ratio=1.5)


@pytest.fixture
def gate(sqlite_store, test_engines):
    create_gate(sqlite_store, "g", "alpha", "breakable", actor="ops")
    change_gate(sqlite_store, "g", GateChange(stage="shadow", aa_percent=0), actor="ops")
    return sqlite_store


def _notebook():
    verdict = {"control": "alpha", "candidate": "breakable", "category": "receipts", "n": 50, "delta": 0.0,
               "delta_ci95": [-0.01, 0.01], "p_value": 0.9, "p_adjusted": 0.9, "verdict": "not distinguishable"}
    entry = {"id": 1, "kind": "eval", "sets": [{"name": "dev", "content_hash": "h"}], "verdicts": [verdict],
             "engines": [{"name": "alpha", "version": "1.0"}, {"name": "breakable", "version": "1.0"}]}
    return lambda: [entry]


def _age(store, minutes: int) -> None:
    """Move the step's start and all traffic `minutes` into the past: the dwell passes, order holds."""
    with store.session() as session:
        for row in session.scalars(select(GateSchedule).where(GateSchedule.step_started_at.is_not(None))):
            row.step_started_at -= timedelta(minutes=minutes)
        for pair in session.scalars(select(Pair)):
            pair.created_at -= timedelta(minutes=minutes)


def _audit(store, actor="schedule"):
    with store.session() as session:
        return session.scalars(select(AuditEntry).where(AuditEntry.actor == actor).order_by(AuditEntry.id)).all()


def test_a_good_candidate_climbs_every_step_after_its_dwell_and_evidence(gate):
    set_schedule(gate, "g", actor="ops", steps=[10, 50, 100], dwell_minutes=60, min_pairs=10)
    pilot = Pilot(gate, notebook=_notebook(), rules=lambda: RULES)
    assert pilot.tick("g") == "waiting"  # no paired traffic yet
    serve_traffic(gate, 12)
    assert pilot.tick("g") == "advanced" and get_gate(gate, "g").percent == 10
    assert pilot.tick("g") is None  # dwelling
    _age(gate, 61)
    assert pilot.tick("g") == "waiting"  # the step's own traffic is still short
    serve_traffic(gate, 12)
    _age(gate, 1)
    assert pilot.tick("g") == "advanced" and get_gate(gate, "g").percent == 50
    serve_traffic(gate, 12)
    _age(gate, 61)
    assert pilot.tick("g") == "advanced" and get_gate(gate, "g").stage.value == "on"
    serve_traffic(gate, 12)
    _age(gate, 61)
    assert pilot.tick("g") == "done" and get_schedule(gate, "g").status is ScheduleStatus.DONE
    changes = [e for e in _audit(gate) if e.action == "change"]
    assert [e.reason for e in changes] == ["step 1 of 3 (10%)", "step 2 of 3 (50%)", "step 3 of 3 (100%)"]
    assert all(any(f["check"] == "error_rate" and f["n"] >= 10 for f in e.after["guard_findings"]) for e in changes)


def test_a_wait_is_audited_once_per_reason(gate):
    set_schedule(gate, "g", actor="ops", steps=[10, 100], dwell_minutes=60, min_pairs=10)
    pilot = Pilot(gate, notebook=_notebook(), rules=lambda: RULES)
    assert [pilot.tick("g") for _ in range(3)] == ["waiting"] * 3
    waits = [e for e in _audit(gate) if e.action == "schedule-wait"]
    assert len(waits) == 1 and "no paired traffic yet" in waits[0].after["note"]


def test_a_guardrail_failing_on_a_steps_traffic_rolls_the_gate_back(gate):
    set_schedule(gate, "g", actor="ops", steps=[50, 100], dwell_minutes=60, min_pairs=10)
    pilot = Pilot(gate, notebook=_notebook(), rules=lambda: RULES)
    serve_traffic(gate, 12)
    assert pilot.tick("g") == "advanced"
    get_engine("breakable").broken.set()
    serve_traffic(gate, 12)
    assert pilot.tick("g") == "rolled back"  # before its dwell: a guardrail does not wait
    assert get_gate(gate, "g").killed
    schedule = get_schedule(gate, "g")
    assert schedule.status is ScheduleStatus.ROLLED_BACK and "candidate failures 100.0%" in schedule.note
    kill = next(e for e in _audit(gate) if e.action == "kill")
    assert kill.after["guard_findings"][0]["check"] == "error_rate" and kill.after["guard_findings"][0]["n"] == 12
    assert pilot.tick("g") is None


def test_a_kill_by_an_operator_stops_the_schedule_and_the_manual_path_stays(gate):
    set_schedule(gate, "g", actor="ops", steps=[10, 50, 100], dwell_minutes=60, min_pairs=10)
    pilot = Pilot(gate, notebook=_notebook(), rules=lambda: RULES)
    serve_traffic(gate, 12)
    change_gate(gate, "g", GateChange(stage="rollout", percent=30), actor="ops")  # by hand, past step 1
    assert pilot.tick("g") == "advanced" and get_gate(gate, "g").percent == 50  # goes on from where it stands
    kill_gate(gate, "g", actor="ops", reason="paging alert")
    assert pilot.tick("g") == "stopped" and get_schedule(gate, "g").status is ScheduleStatus.STOPPED


def test_bad_schedules_are_refused_and_an_operator_can_stop_one(gate):
    for steps in ([], [5, 5], [50, 10], [0, 10], [10, 101], [float("inf")]):
        with pytest.raises(OcrInputError, match="schedule steps"):
            set_schedule(gate, "g", actor="ops", steps=steps)
    with pytest.raises(OcrInputError, match="dwell"):
        set_schedule(gate, "g", actor="ops", dwell_minutes=0)
    assert get_schedule(gate, "g") is None
    set_schedule(gate, "g", actor="ops")
    stop_schedule(gate, "g", actor="ops", reason="holiday freeze")
    assert get_schedule(gate, "g").status is ScheduleStatus.STOPPED
    assert [e.action for e in _audit(gate, "ops")][-2:] == ["schedule", "schedule-stop"]
