"""Words on a sloping line: the line's slope is read off its letters, and a word's crop is sheared
level before the recognizer sees it (on a level page nothing changes)."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from engines.result import BBox
from inhouse.detector import DetectorConfig, detect_words
from inhouse.detector.detect import word_crop
from inhouse.skew import level_crop, line_slopes
from tests.conftest import render_text

LINES = ["Item 9554100363103 total 1258.40 paid", "Thank you for shopping with us today"]


def _turned(degrees: float) -> np.ndarray:
    """The two lines rendered and turned counter-clockwise by `degrees` on a larger white page."""
    page = np.asarray(render_text(LINES, size=36, margin=120), dtype=np.uint8)
    h, w = page.shape
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(page, matrix, (w, h), flags=cv2.INTER_CUBIC, borderValue=255)


def _ink_slope(crop: np.ndarray) -> float:
    """The slope (dy/dx) of the ink's centre line across the crop: a straight fit to each ink
    column's mean row (digits: all as tall, so the centre line is the line's)."""
    ink = crop < 128
    columns = np.flatnonzero(ink.sum(axis=0) > 0)
    rows = np.array([np.flatnonzero(ink[:, c]).mean() for c in columns])
    return float(np.polyfit(columns, rows, 1)[0])


@pytest.mark.parametrize("degrees", [-3.0, 2.0, 5.0])
def test_a_lines_slope_is_read_off_its_letters(degrees: float):
    detection = detect_words(_turned(degrees), DetectorConfig())
    slopes = line_slopes(detection)
    assert len(slopes) == 2
    for slope in slopes.values():  # a counter-clockwise turn makes lines rise: rows fall to the right
        assert -math.degrees(math.atan(slope)) == pytest.approx(degrees, abs=0.35)


def test_a_level_page_has_no_slopes_to_take_out():
    assert line_slopes(detect_words(np.asarray(render_text(LINES, size=36)), DetectorConfig())) == {}


def test_a_sloping_word_is_read_level_in_its_own_columns():
    gray = _turned(4.0)
    detection = detect_words(gray, DetectorConfig())
    slopes = line_slopes(detection)
    word = max(detection.words, key=lambda w: w.bbox.width)  # the barcode number: long, and all digits
    box = word.crop_box or word.bbox
    before, after = word_crop(gray, word, 3), level_crop(gray, box, slopes[word.line], 3)
    assert abs(_ink_slope(before)) > 0.05 and abs(_ink_slope(after)) < 0.01
    assert after.shape[1] == before.shape[1]  # the same columns: its box stays its box
    assert after.shape[0] < before.shape[0]  # the rise across the word taken out


def test_level_crop_moves_nothing_at_slope_zero():
    gray = np.asarray(render_text(["level words"], size=36), dtype=np.uint8)
    box = BBox(20, 20, 140, 80)
    assert np.array_equal(level_crop(gray, box, 0.0, 3), gray[17:83, 17:143])
