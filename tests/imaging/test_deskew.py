"""Skew: found on pages turned by a known angle (lines across or down), levelled, and every box on
the levelled page taken back to where its ink lies on the page as it was."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engines.options import RecognizeOptions
from engines.registry import get_engine
from evaluation.dataset import sample
from evaluation.scoring import score_page
from imaging import deskew, load_first_page
from kernel.errors import OcrInputError
from tests.conftest import render_text, turned_about_centre

LINES = [f"Line {i}: invoice 20931 for services rendered in March" for i in range(20)]


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return np.array(render_text(LINES, size=24))


@pytest.mark.parametrize("degrees", [2.5, -1.5, 0.8, -4.0])
def test_the_skew_of_a_turned_page_is_found_across_and_down(page, degrees):
    skewed = turned_about_centre(page, degrees)
    assert deskew.skew_angle(skewed) == pytest.approx(degrees, abs=0.1)
    sideways = np.ascontiguousarray(np.rot90(skewed))  # its lines run down: the same turn
    assert deskew.skew_angle(sideways) == pytest.approx(degrees, abs=0.1)


def test_a_level_page_and_a_blank_one_are_left_alone(page):
    assert deskew.skew_angle(page) == 0.0
    assert deskew.skew_angle(turned_about_centre(page, 0.1)) == 0.0  # under MIN_DEGREES
    assert deskew.skew_angle(np.full((600, 400), 255, np.uint8)) == 0.0


def test_a_levelled_page_is_level_and_whole(page):
    skewed = turned_about_centre(page, 3.0)
    leveled = deskew.level(skewed, deskew.skew_angle(skewed))
    assert deskew.skew_angle(leveled.pixels) == 0.0
    height, width = skewed.shape
    assert leveled.pixels.shape[0] >= height and leveled.pixels.shape[1] >= width  # no corner cut off
    assert leveled.to_source((0, 0, leveled.pixels.shape[1], leveled.pixels.shape[0])) == (0, 0, width, height)


def test_a_box_on_the_levelled_page_holds_the_same_ink_on_the_page_as_it_was(page):
    """A dot of ink on the skewed page is found again, levelled, and its box there maps back to a
    box on the skewed page that holds the dot."""
    skewed = turned_about_centre(page, 2.0)
    marked = skewed.copy()
    cv2.circle(marked, (300, 200), 4, 0, -1)
    leveled = deskew.level(marked, 2.0)
    without = deskew.level(skewed, 2.0)
    ys, xs = np.nonzero(np.abs(leveled.pixels.astype(int) - without.pixels.astype(int)) > 64)
    box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
    x0, y0, x1, y1 = leveled.to_source(box)
    assert x0 <= 296 and y0 <= 196 and x1 >= 305 and y1 >= 205
    assert x1 - x0 <= 14 and y1 - y0 <= 14  # and not much more


def test_deskew_takes_auto_or_off_and_levels_whole_pages_only(page):
    skewed = turned_about_centre(page, 2.0)
    assert deskew.skew_as_asked(skewed, {}, "tesseract", "auto", whole_page=True) == pytest.approx(2.0, abs=0.1)
    assert deskew.skew_as_asked(skewed, {"deskew": "off"}, "tesseract", "auto", whole_page=True) == 0.0
    assert deskew.skew_as_asked(skewed, {}, "tesseract", "auto", whole_page=False) == 0.0
    with pytest.raises(OcrInputError, match="tesseract deskew must be one of auto, off"):
        deskew.skew_as_asked(skewed, {"deskew": "yes"}, "tesseract", "auto", whole_page=True)


@pytest.mark.slow
def test_levelling_costs_clean_dev_pages_no_accuracy(benchmarks_dir):
    """Tesseract levels by default: on the first dev pages of each category (scans and screenshots
    as they are), its aligned CER with `deskew=auto` is at most 0.1 point worse than with `off`, and
    at least one sampled page slopes (else the check would prove nothing)."""
    engine = get_engine("tesseract")
    chars, change, sloping = 0, 0, 0
    for _, record, fold in sample([benchmarks_dir / "dev"], 4):
        auto, off = (
            score_page(record, engine.recognize(record.image, RecognizeOptions(engine_args={"deskew": way})), fold)
            for way in ("auto", "off")
        )
        chars += off.aligned.reference_length
        change += auto.aligned.errors - off.aligned.errors
        sloping += deskew.skew_angle(load_first_page(record.image).gray()) != 0
    assert sloping, "no sampled page slopes: the check would prove nothing"
    assert change / chars <= 0.001, (sloping, change, chars)
