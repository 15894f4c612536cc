"""The ramp guard: per-category evidence minimums, honest tests, guardrails on failures and latency,
findings as table rows that go to the audit log."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engines import register_engine
from engines.registry import unregister_engine
from kernel.errors import OcrInputError, RampRefusedError
from rollout.gate_store import GateChange, change_gate, create_gate, get_gate
from rollout.guard import EvidenceRules, RampGuard
from rollout.store.models import AuditEntry
from tests.rollout_fixtures import CrashingEngine, WordEngine, serve_traffic

RULES = EvidenceRules(min_pages=30, min_pairs=20, max_error_gap=0.02, max_latency_ratio=1.5)


def _verdict(category: str, verdict: str, n: int = 50, delta: float = -0.01, candidate: str = "beta",
             half_width: float = 0.01) -> dict:
    low, high = delta - half_width, delta + half_width
    return {"control": "alpha", "candidate": candidate, "category": category, "n": n, "delta": delta,
            "delta_ci95": [low, high], "p_value": 0.001, "p_adjusted": 0.003, "verdict": verdict}


def _notebook(*verdicts: dict):
    """A lab notebook holding one evaluation of alpha against each verdict's candidate, all at 1.0."""
    engines = [{"name": name, "version": "1.0"} for name in {"alpha", *(v["candidate"] for v in verdicts)}]
    entry = {"id": 7, "kind": "eval", "sets": [{"name": "dev", "content_hash": "abc"}], "engines": engines,
             "verdicts": list(verdicts)}
    return lambda: [entry]


def _shadow_traffic(store, requests: int) -> None:
    """Serve `requests` requests with the candidate shadowed (A/A off)."""
    change_gate(store, "g", GateChange(stage="shadow", shadow_percent=100, aa_percent=0), actor="ops")
    serve_traffic(store, requests)


@pytest.fixture
def gate(store, test_engines):
    create_gate(store, "g", "alpha", "beta", actor="ops")
    return store


def _ramp(store, guard, percent=10, **kwargs):
    return change_gate(store, "g", GateChange(stage="rollout", percent=percent), actor="ops", guard=guard, **kwargs)


def test_a_worse_candidate_is_refused_with_its_numbers_and_an_override_is_audited(gate):
    _shadow_traffic(gate, 20)
    guard = RampGuard(gate, notebook=_notebook(_verdict("receipts", "worse", delta=0.05)), rules=RULES)
    with pytest.raises(RampRefusedError, match="receipts: candidate worse") as refused:
        _ramp(gate, guard)
    row = next(f for f in refused.value.findings if f["source"] == "benchmark")
    assert (row["verdict"], row["n"], row["estimate"], row["low"]) == ("fail", 50, 0.05, pytest.approx(0.04))
    assert get_gate(gate, "g").stage.value == "shadow"
    with gate.session() as session:
        refusal = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert refusal.action == "ramp-refused" and refusal.after["guard_findings"] == refused.value.findings
    with pytest.raises(OcrInputError, match="written reason"):
        _ramp(gate, guard, override_reason="ok")
    _ramp(gate, guard, override_reason="receipts are 1% of traffic; approved by the OCR lead")
    with gate.session() as session:
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last.action == "override" and "approved by the OCR lead" in last.reason
    assert any(f["verdict"] == "fail" for f in last.after["guard_findings"])


def test_five_pages_are_insufficient_evidence_even_when_every_row_is_green(gate):
    """The reproduced defect: `ocrgate eval --limit 5` made every guard row green."""
    _shadow_traffic(gate, 20)
    guard = RampGuard(gate, notebook=_notebook(_verdict("receipts", "better", n=5)), rules=RULES)
    with pytest.raises(RampRefusedError, match="5 pages, fewer than the 30"):
        _ramp(gate, guard)
    old_entry = {k: v for k, v in _verdict("receipts", "better").items() if k not in ("n", "delta_ci95")}
    with pytest.raises(RampRefusedError, match="unknown number of pages"):
        _ramp(gate, RampGuard(gate, notebook=_notebook(old_entry), rules=RULES))


def test_an_interval_that_reaches_the_margin_is_insufficient_evidence(gate):
    """Not distinguishable is not the same as not worse: a wide interval cannot rule out a regression."""
    _shadow_traffic(gate, 20)
    wide = _verdict("receipts", "not distinguishable", delta=0.0, half_width=0.03)
    refusal = r"cannot rule out a regression of 2 pt \(the interval reaches \+3.00 pt"
    with pytest.raises(RampRefusedError, match=refusal):
        _ramp(gate, RampGuard(gate, notebook=_notebook(wide), rules=RULES))
    narrow = _verdict("receipts", "not distinguishable", delta=0.0, half_width=0.015)
    _ramp(gate, RampGuard(gate, notebook=_notebook(narrow), rules=RULES))
    assert get_gate(gate, "g").percent == 10


def test_traffic_below_the_minimum_is_insufficient_evidence_then_passes(gate):
    notebook = _notebook(_verdict("receipts", "not distinguishable"))
    with pytest.raises(RampRefusedError, match="no paired traffic yet"):
        _ramp(gate, RampGuard(gate, notebook=notebook, rules=RULES))
    _shadow_traffic(gate, 10)
    with pytest.raises(RampRefusedError, match="receipts: 10 pairs, fewer than the 20"):
        _ramp(gate, RampGuard(gate, notebook=notebook, rules=RULES))
    _shadow_traffic(gate, 10)
    _ramp(gate, RampGuard(gate, notebook=notebook, rules=RULES))
    assert get_gate(gate, "g").percent == 10
    # lowering exposure is never guarded, whatever the evidence
    change_gate(gate, "g", GateChange(percent=1), actor="ops", guard=RampGuard(gate, notebook=lambda: [], rules=RULES))
    assert get_gate(gate, "g").percent == 1


@pytest.fixture
def engine_named():
    names = []

    def register(name, factory):
        register_engine(name, factory)
        names.append(name)

    yield register
    for name in names:
        unregister_engine(name)


def test_a_candidate_that_fails_more_often_trips_the_error_rate_guardrail(store, test_engines, engine_named):
    engine_named("crashy-beta", lambda: CrashingEngine("crashy-beta", ""))
    create_gate(store, "g", "alpha", "crashy-beta", actor="ops")
    _shadow_traffic(store, 20)
    notebook = _notebook(_verdict("receipts", "not distinguishable", candidate="crashy-beta"))
    with pytest.raises(RampRefusedError, match="candidate failures 100.0% vs control 0.0%") as refused:
        _ramp(store, RampGuard(store, notebook=notebook, rules=RULES))
    row = next(f for f in refused.value.findings if f["check"] == "error_rate")
    assert row["verdict"] == "fail" and row["p"] < 0.05 and row["n"] == 20


def test_a_slower_candidate_trips_the_latency_guardrail(store, test_engines, engine_named):
    engine_named("slow-beta", lambda: WordEngine("slow-beta", "hello", delay=0.2))
    create_gate(store, "g", "alpha", "slow-beta", actor="ops")
    _shadow_traffic(store, 20)
    notebook = _notebook(_verdict("receipts", "not distinguishable", candidate="slow-beta"))
    with pytest.raises(RampRefusedError, match=r"p95 latency .*× the control's \[.*\] \(limit 1.5×\)"):
        _ramp(store, RampGuard(store, notebook=notebook, rules=RULES))


def test_disagreement_is_shown_but_never_refuses(gate):
    _shadow_traffic(gate, 20)
    findings = RampGuard(gate, notebook=_notebook(_verdict("receipts", "not distinguishable")), rules=RULES)(
        get_gate(gate, "g"), get_gate(gate, "g"))
    info = [f for f in findings if f["check"] == "disagreement"]
    assert len(info) == 1 and info[0]["ok"] and info[0]["estimate"] == pytest.approx(0.2)  # "hello" vs "hallo"
