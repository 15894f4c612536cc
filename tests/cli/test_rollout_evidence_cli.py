"""Schedules, labelling consent, labelled accuracy and the label export on the command line; the
exported set is a valid word set that `ocrgate eval` reads."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest

from evaluation.dataset import load_set
from rollout.gate_store import GateChange, change_gate, create_gate
from rollout.router import Router
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from rollout.store.models import TruthTask
from rollout.truth import grant_consent, record_label
from tests.conftest import render_text


def ocrgate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=300,
                          env=os.environ.copy())


def test_a_schedule_is_set_shown_and_stopped(tmp_path, test_engines):
    db = f"sqlite:///{tmp_path / 'ops.db'}"
    store = Store(db)
    create_gate(store, "g", "tesseract", "tesseract-block", actor="ops")
    store.dispose()
    done = ocrgate("gate", "schedule", "g", "--steps", "2", "10", "100", "--dwell", "30", "--min-pairs", "50",
                   "--json", "--db", db)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"steps": [2.0, 10.0, 100.0], "dwell_minutes": 30, "min_pairs": 50, "step": -1,
                                       "status": "running", "note": None}
    shown = ocrgate("gate", "show", "g", "--db", db)
    assert "schedule: running, not started of 2% → 10% → 100%; dwell 30 min" in shown.stdout
    bad = ocrgate("gate", "schedule", "g", "--steps", "10", "5", "--db", db)
    assert bad.returncode == 2 and "increasing" in bad.stderr and "Traceback" not in bad.stderr
    stopped = ocrgate("gate", "schedule", "g", "--stop", "--reason", "freeze", "--db", db)
    assert stopped.returncode == 0 and "schedule: stopped" in stopped.stdout


@pytest.fixture
def labelled_store(tmp_path, test_engines):
    """A gate alpha ("hello") vs beta ("hallo") with consented traffic on real text pages, labelled."""
    db = f"sqlite:///{tmp_path / 'labels.db'}"
    store = Store(db)
    create_gate(store, "g", "alpha", "beta", actor="ops")
    change_gate(store, "g", GateChange(stage="shadow", aa_percent=0), actor="ops")
    with store.session() as session:
        grant_consent(session, "category", "receipts", actor="ops")
    shadows = ShadowRunner(store, workers=1, timeout=5.0, sweep_seconds=0.2).start()
    router = Router(store, GateSnapshot(store), shadows)
    page = io.BytesIO()
    render_text(["hello"]).save(page, format="PNG")
    for _ in range(3):
        router.serve(page.getvalue(), unit="team", category="receipts", gate="g")
    assert shadows.drain(30)
    shadows.stop()
    with store.session() as session:
        for task in session.query(TruthTask).all():
            record_label(session, task.id, "lena", "hello")
            record_label(session, task.id, "omar", "hello")
    store.dispose()
    return db


def test_consent_status_and_export_on_the_command_line(tmp_path, labelled_store):
    db = labelled_store
    listing = ocrgate("labelling", "consent", "list", "--json", "--db", db)
    assert json.loads(listing.stdout) == [{"kind": "category", "value": "receipts"}]
    status = ocrgate("labelling", "status", "g", "--json", "--db", db)
    data = json.loads(status.stdout)
    assert (data["tasks"], data["settled"]) == (3, 3)
    row = data["categories"]["receipts"]
    assert (row["control"]["value"], row["candidate"]["value"]) == (1.0, 0.0)
    out = tmp_path / "traffic-words"
    first = ocrgate("sets", "export-labels", "--out", str(out), "--json", "--db", db)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["version"] == 1 and json.loads(first.stdout)["words"] == 3
    again = ocrgate("sets", "export-labels", "--out", str(out), "--json", "--db", db)
    assert json.loads(again.stdout)["version"] == 2  # a new version replaces the old one whole
    bench = load_set(out)
    assert bench.level == "word" and [r.text for r in bench.records] == ["hello"] * 3
    assert ocrgate("sets", "check", str(out)).returncode == 0
    scored = ocrgate("eval", "--engine", "tesseract", "--set", str(out), "--out", str(tmp_path / "eval"),
                     "--no-cache", "--quiet")
    assert scored.returncode == 0, scored.stderr
    results = json.loads((tmp_path / "eval" / "results.json").read_text())
    assert results["summary"]["tesseract"]["receipts"]["n"] == 3
    elsewhere = tmp_path / "not-empty"
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("mine")
    refused = ocrgate("sets", "export-labels", "--out", str(elsewhere), "--db", db)
    assert refused.returncode == 2 and "not empty" in refused.stderr and (elsewhere / "notes.txt").exists()
