"""Crops cut where the detector finds words (`training.detectedcrops`): on a real receipt and form
page and on their photos, every label is made of words of its page, the receipt's phrases give crops for
each of their words, and the labels are the words in the crops (the shipped recognizer reads
most of their characters as labelled, which a shifted or crossed matching would not allow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capture.photoset import build_photo_set
from engines.result import BBox, Word
from inhouse.engine import InhouseEngine
from inhouse.recognizer.charset import normalize_text
from tests.conftest import smallest_pages
from training.detectedcrops import detected_crops, fits_width, labels
from training.metrics import cer
from training.realcrops import cut_crops

CATEGORIES = ("register_tapes", "scanned_docs")


@pytest.fixture(scope="module")
def pages(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The smallest dev receipt and form (copied), and their photo set."""
    folder = smallest_pages(benchmarks_dir / "dev", CATEGORIES, tmp_path_factory.mktemp("pages"))
    photos = tmp_path_factory.mktemp("photos") / "photos"
    build_photo_set(folder, photos, seed=0, notebook=photos.parent / "lab.jsonl")
    return folder, photos


@pytest.fixture(scope="module")
def engine() -> InhouseEngine:
    return InhouseEngine()


def _truth_texts(split: Path) -> dict[str, str]:
    """Each page's ground truth as the model's labels spell it, without spaces."""
    texts: dict[str, str] = {}
    for line in (split / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        texts[raw["id"]] = "".join(normalize_text(s["text"]).replace(" ", "") for s in raw["segments"])
    return texts


@pytest.mark.parametrize("which", ["clean", "photo"])
def test_detected_crops_carry_the_words_they_show(pages: tuple[Path, Path], engine: InhouseEngine, which: str):
    split = pages[0] if which == "clean" else pages[1]
    crops = detected_crops(split, engine=engine)
    truth = _truth_texts(split)
    assert crops and all(piece in truth[c.page] for c in crops for piece in c.text.split(" "))
    assert any(" " in c.text for c in crops)  # a detection holding two words is labelled with both
    receipt = [c for c in crops if c.category.endswith("register_tapes")]
    one_word_phrases = [c for c in cut_crops(split) if c.category.endswith("register_tapes")]
    assert len(receipt) > 2 * len(one_word_phrases)  # every word of a phrase, not only one-word phrases
    assert all(c.fold_case == c.category.endswith("register_tapes") for c in crops)
    read = engine.recognizer.recognize_batch([c.image for c in crops])
    counts = [cer(text, c.text, c.fold_case) for c, (text, _) in zip(crops, read, strict=True)]
    rate = sum(e for e, _ in counts) / sum(n for _, n in counts)
    assert rate <= 0.3, f"the shipped recognizer misreads {rate:.1%} of the labels' characters"


def test_a_detection_too_wide_or_too_narrow_for_its_word_is_not_labelled_with_it():
    assert fits_width("TOTAL", 5 * 0.6 * 20, 20)
    assert not fits_width("TOTAL", (5 + 1 + 4) * 0.6 * 20 * 2, 20)  # "TOTAL CASH" in one detection, wide face
    assert not fits_width("TOTAL", 2 * 0.6 * 20 * 0.5, 20)  # a piece of it


def test_a_detection_is_labelled_with_the_words_it_holds_left_to_right():
    truth = [Word("CASH", BBox(60, 0, 100, 10), 1.0), Word("TOTAL", BBox(0, 0, 50, 10), 1.0)]
    detected = [
        BBox(0, 0, 100, 10),  # both words: one label with a space, in reading order
        BBox(58, 0, 101, 11),  # CASH alone
        BBox(0, 0, 20, 10),  # a piece of TOTAL: holds no whole word
        BBox(0, 0, 50, 40),  # TOTAL with much else: the union does not match it
    ]
    assert labels(detected, truth) == ["TOTAL CASH", "CASH", None, None]
    # FUNSD's "81-01-07" is three words, their boxes touching: one token on the page
    date = [Word(t, BBox(x0, 0, x1, 20), 1.0) for t, x0, x1 in (("81-", 0, 30), ("01-", 30, 60), ("07", 61, 80))]
    assert labels([BBox(0, 0, 80, 20)], date) == ["81-01-07"]
