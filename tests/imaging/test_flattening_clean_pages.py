"""Flattening uneven light must cost clean pages nothing: on the dev pages as they are (scans,
screenshots), each engine's aligned CER with `illumination=auto` (Tesseract's default) is within
0.1 point of never flattening. Only pages whose background the gate calls uneven can read differently (the
others are read from the very same pixels), so only those are read, both ways."""

from __future__ import annotations

import pytest

from engines.options import RecognizeOptions
from engines.registry import get_engine
from evaluation.dataset import load_set
from evaluation.normalize import uppercase_categories
from evaluation.scoring import score_page
from imaging import illumination, load_first_page

#: aligned CER, in points of the whole set, that flattening may change on clean pages
TOLERANCE = 0.001


@pytest.mark.slow
@pytest.mark.parametrize("engine_name", ["tesseract", "inhouse"])
def test_flattening_leaves_clean_dev_pages_accuracy_unchanged(benchmarks_dir, engine_name):
    bench = load_set(benchmarks_dir / "dev")
    upper = uppercase_categories((r.category, r.text) for r in bench.records)
    engine = get_engine(engine_name)
    total_chars, error_change, flattened = 0, 0, []
    for record in bench.records:
        fold = record.category in upper
        total_chars += score_page(record, None, fold).aligned.reference_length
        page = load_first_page(record.image)
        if not illumination.estimate_background(page.gray()).uneven:
            continue
        flattened.append(record.id)
        auto, off = (score_page(record, engine.recognize(page, RecognizeOptions(engine_args={"illumination": mode})),
                                fold).aligned.errors for mode in ("auto", "off"))
        error_change += auto - off
    assert len(flattened) <= len(bench.records) // 10, flattened  # the gate is for photos, not scans
    assert abs(error_change) / total_chars <= TOLERANCE, (flattened, error_change, total_chars)
