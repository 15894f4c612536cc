"""The training package against the rest: the recognizer's metrics are the evaluation's, and its
runs go into the one lab notebook (which still reads the shipped weights' history)."""
from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from evaluation import labnotebook
from evaluation.metrics import char_counts
from evaluation.normalize import normalize
from inhouse.recognizer.charset import normalize_text
from training.finetune import restore_case
from training.metrics import cer, word_correct
from training.realcrops import cut_crops

SHIPPED_NOTEBOOK = Path(__file__).resolve().parents[2] / "inhouse" / "models" / "LABNOTEBOOK.jsonl"


def test_word_metrics_are_the_evaluations():
    # NFKC and whitespace as evaluation.normalize; case folded only where ground truth is upper case
    assert word_correct("ﬁnal", "final", False)
    assert word_correct("Total", "TOTAL", True) and not word_correct("Total", "TOTAL", False)
    assert word_correct("a  b", " a b ", False)
    # the charset maps U+2212 to '-' for training labels; the metric, like `ocrgate eval`, does not
    assert normalize_text("−3") == "-3" and normalize("−3") != normalize("-3")
    assert not word_correct("-3", "−3", False)
    for pred, truth, fold in (("Tota1", "TOTAL", True), ("teh", "the", False), ("", "x", False)):
        assert cer(pred, truth, fold) == (char_counts(normalize(truth, fold), normalize(pred, fold)).errors,
                                          max(1, len(normalize(truth, fold))))


def _page_set(root: Path, pages: dict[str, tuple[str, list[str]]]) -> Path:
    """A page set whose pages (id -> (category, words)) each hold their words as segments."""
    (root / "images").mkdir(parents=True)
    lines = []
    for page_id, (category, words) in pages.items():
        Image.new("L", (400, 40), 255).save(root / "images" / f"{page_id}.png")
        segments = [{"text": w, "bbox": [10 + 60 * i, 5, 60 + 60 * i, 35]} for i, w in enumerate(words)]
        lines.append(json.dumps({"id": page_id, "image": f"images/{page_id}.png", "category": category,
                                 "segments": segments}))
    (root / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    return root


def test_upper_case_ground_truth_is_found_from_the_data_as_the_evaluation_does(tmp_path):
    # a photo set's receipts are `photos_register_tapes`: their upper-case truth folds case too,
    # so fine-tuning restores the case the ink shows instead of teaching upper case for lower-case ink
    split = _page_set(tmp_path / "photos", {"r": ("photos_register_tapes", ["TOTAL", "CASH"]),
                                            "f": ("photos_scanned_docs", ["Total", "due"])})
    crops = cut_crops(split)
    assert [(c.category, c.fold_case) for c in crops] == [
        ("photos_register_tapes", True), ("photos_register_tapes", True),
        ("photos_scanned_docs", False), ("photos_scanned_docs", False)]
    assert restore_case(crops, ["Total", "CASH", "TOTAL", "due"]) == 1
    assert [c.text for c in crops] == ["Total", "CASH", "Total", "due"]


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
