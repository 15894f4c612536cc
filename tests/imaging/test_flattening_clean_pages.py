"""Flattening uneven light must not cost clean pages accuracy: on dev pages as they are (scans,
screenshots), Tesseract's aligned CER with its default `illumination=auto` is at most 0.1 point
worse than never flattening. Only pages whose background the gate calls uneven can read
differently (the others are read from the very same pixels), so only those are read, both ways.
A sample of the first pages of each category keeps it to a few minutes; the whole of dev is in
the committed evaluation (`docs/photos.md`)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from engines.options import RecognizeOptions
from engines.registry import get_engine
from evaluation.dataset import load_set
from evaluation.normalize import uppercase_categories
from evaluation.scoring import score_page
from imaging import illumination, load_first_page

#: aligned CER, in points of the sample, that flattening may cost clean pages
TOLERANCE = 0.001
PAGES_PER_CATEGORY = 6


@pytest.mark.slow
def test_flattening_costs_clean_dev_pages_no_accuracy(benchmarks_dir):
    bench = load_set(benchmarks_dir / "dev")
    upper = uppercase_categories((r.category, r.text) for r in bench.records)
    engine = get_engine("tesseract")
    taken: dict[str, int] = defaultdict(int)
    total_chars, error_change, flattened = 0, 0, 0
    for record in bench.records:
        if taken[record.category] >= PAGES_PER_CATEGORY:
            continue
        taken[record.category] += 1
        fold = record.category in upper
        total_chars += score_page(record, None, fold).aligned.reference_length
        page = load_first_page(record.image)
        if not illumination.estimate_background(page.gray()).uneven:
            continue
        flattened += 1
        auto, off = (score_page(record, engine.recognize(page, RecognizeOptions(engine_args={"illumination": mode})),
                                fold).aligned.errors for mode in ("auto", "off"))
        error_change += auto - off
    assert flattened, "no sampled page was flattened: the check would prove nothing"
    assert error_change / total_chars <= TOLERANCE, (flattened, error_change, total_chars)
