"""The training package against the rest: the recognizer's metrics are the evaluation's, and its
runs go into the one lab notebook (which still reads the shipped weights' history)."""
from __future__ import annotations

from pathlib import Path

from evaluation import labnotebook
from evaluation.metrics import char_counts
from evaluation.normalize import normalize
from inhouse.recognizer.charset import normalize_text
from training.metrics import cer, word_correct

SHIPPED_NOTEBOOK = Path(__file__).resolve().parents[2] / "inhouse" / "models" / "LABNOTEBOOK.jsonl"


def test_word_metrics_are_the_evaluations():
    # NFKC and whitespace as evaluation.normalize; case folded only where ground truth is upper case
    assert word_correct("ﬁnal", "final", "scanned_docs")
    assert word_correct("Total", "TOTAL", "register_tapes") and not word_correct("Total", "TOTAL", "scanned_docs")
    assert word_correct("a  b", " a b ", "screenshots")
    # the charset maps U+2212 to '-' for training labels; the metric, like `ocrgate eval`, does not
    assert normalize_text("−3") == "-3" and normalize("−3") != normalize("-3")
    assert not word_correct("-3", "−3", "scanned_docs")
    for pred, truth, category in (("Tota1", "TOTAL", "register_tapes"), ("teh", "the", "screenshots"), ("", "x", "a")):
        fold = category == "register_tapes"
        assert cer(pred, truth, category) == (char_counts(normalize(truth, fold), normalize(pred, fold)).errors,
                                              max(1, len(normalize(truth, fold))))


def test_training_runs_go_into_the_one_lab_notebook(tmp_path, monkeypatch):
    notebook = tmp_path / "lab.jsonl"
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(notebook))
    first = labnotebook.append({"kind": "eval", "at": "2026-12-01T00:00:00", "headline": {}})
    second = labnotebook.record_training("start", "train-x", out="var/runs/x", train={"steps": 3})
    third = labnotebook.record_training("end", "train-x", step=3, best_swa=0.5)
    assert (first, second, third) == (1, 2, 3)
    entries = labnotebook.entries()
    assert [e["kind"] for e in entries] == ["eval", "training", "training"]
    runs = labnotebook.training_runs()
    assert [(r["id"], r["run"], r["event"]) for r in runs] == [(2, "train-x", "start"), (3, "train-x", "end")]
    assert all(r["git_commit"] and r["at"] for r in runs) and runs[0]["train"] == {"steps": 3}


def test_the_shipped_training_history_stays_readable():
    runs = labnotebook.training_runs(SHIPPED_NOTEBOOK)
    assert len(runs) == len(labnotebook.entries(SHIPPED_NOTEBOOK)) > 0
    assert {r["event"] for r in runs} >= {"start", "eval", "end"}
    assert all(r["kind"] == "training" and r["at"] and r["git_commit"] and r["run"] for r in runs)
