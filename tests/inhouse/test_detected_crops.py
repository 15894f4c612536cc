"""Crops cut where the detector finds words (`training.detectedcrops`): on a real receipt and form
page and on their photos, every label is a word of its page, the receipt's phrases give crops for
each of their words, and the labels are the words in the crops (the shipped recognizer reads most
of them as labelled, which a shifted or crossed matching would not allow)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from capture.photoset import build_photo_set
from engines.result import BBox
from evaluation.metrics import matched_pairs
from inhouse.engine import InhouseEngine
from inhouse.recognizer.charset import normalize_text
from training.detectedcrops import detected_crops, fits_width
from training.metrics import word_correct
from training.realcrops import cut_crops

CATEGORIES = ("register_tapes", "scanned_docs")


@pytest.fixture(scope="module")
def pages(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The smallest dev receipt and form (copied), and their photo set."""
    source = benchmarks_dir / "dev"
    records = [json.loads(line) for line in (source / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    picked = [
        min((r for r in records if r["category"] == c), key=lambda r: r["width"] * r["height"]) for c in CATEGORIES
    ]
    folder = tmp_path_factory.mktemp("pages")
    (folder / "images").mkdir()
    for record in picked:
        shutil.copyfile(source / record["image"], folder / record["image"])
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    photos = tmp_path_factory.mktemp("photos") / "photos"
    build_photo_set(folder, photos, seed=0, notebook=photos.parent / "lab.jsonl")
    return folder, photos


@pytest.fixture(scope="module")
def engine() -> InhouseEngine:
    return InhouseEngine()


def _truth_words(split: Path) -> dict[str, set[str]]:
    words: dict[str, set[str]] = {}
    for line in (split / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        words[raw["id"]] = {normalize_text(t) for s in raw["segments"] for t in s["text"].split(" ") if t}
    return words


@pytest.mark.parametrize("which", ["clean", "photo"])
def test_detected_crops_carry_the_words_they_show(pages: tuple[Path, Path], engine: InhouseEngine, which: str):
    split = pages[0] if which == "clean" else pages[1]
    crops = detected_crops(split, engine=engine)
    truth = _truth_words(split)
    assert crops and all(c.text in truth[c.page] for c in crops)
    receipt = [c for c in crops if c.category.endswith("register_tapes")]
    one_word_phrases = [c for c in cut_crops(split) if c.category.endswith("register_tapes")]
    assert len(receipt) > 2 * len(one_word_phrases)  # every word of a phrase, not only one-word phrases
    assert all(c.fold_case == c.category.endswith("register_tapes") for c in crops)
    read = engine.recognizer.recognize_batch([c.image for c in crops])
    correct = sum(word_correct(text, c.text, c.fold_case) for c, (text, _) in zip(crops, read, strict=True))
    assert correct >= 0.6 * len(crops), f"{correct} of {len(crops)} read as labelled"


def test_a_detection_too_wide_or_too_narrow_for_its_word_is_not_labelled_with_it():
    assert fits_width("TOTAL", 5 * 0.6 * 20, 20)
    assert not fits_width("TOTAL", (5 + 1 + 4) * 0.6 * 20 * 2, 20)  # "TOTAL CASH" in one detection, wide face
    assert not fits_width("TOTAL", 2 * 0.6 * 20 * 0.5, 20)  # a piece of it


def test_matching_pairs_each_truth_box_with_at_most_one_detection_best_first():
    truth = [BBox(0, 0, 10, 10), BBox(20, 0, 30, 10)]
    detected = [BBox(1, 0, 11, 10), BBox(0, 0, 10, 10), BBox(20, 0, 24, 10)]  # the last: IoU 0.4
    assert matched_pairs(truth, detected) == [(0, 1)]
    assert sorted(matched_pairs(truth, detected, 0.4)) == [(0, 1), (1, 2)]
