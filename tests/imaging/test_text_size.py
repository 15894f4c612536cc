"""Letter height measured from the ink alone (what Tesseract's OSD enlarges small text by)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from imaging import text_size
from tests.conftest import render_text

LINES = ["Invoice 20931 for services rendered", "Total due within thirty days", "Thank you for your order"]


@pytest.mark.parametrize("size", [16, 40])
def test_letter_height_follows_the_font_size(size):
    measured = text_size.letter_height(np.array(render_text(LINES, size=size).convert("L")))
    assert 0.45 * size <= measured <= 0.9 * size  # between x-height and cap height


def test_light_text_on_a_dark_page_measures_the_same():
    gray = np.array(render_text(LINES, size=30).convert("L"))
    assert text_size.letter_height(255 - gray) == text_size.letter_height(gray)


def test_a_page_without_letters_cannot_be_measured(blank_array):
    ruled = np.full((400, 600), 255, np.uint8)
    cv2.line(ruled, (10, 200), (590, 200), 0, 2)
    assert text_size.letter_height(blank_array) == 0.0
    assert text_size.letter_height(ruled) == 0.0
    assert text_size.enlargement(ruled, 20.0, 4.0) == 1.0


def test_small_letters_are_enlarged_to_the_wanted_height_and_no_further_than_the_most():
    small = np.array(render_text(LINES, size=12).convert("L"))
    height = text_size.letter_height(small)
    assert text_size.enlargement(small, 20.0, 4.0) == pytest.approx(20.0 / height)
    assert text_size.enlargement(small, 200.0, 4.0) == 4.0
    assert text_size.enlargement(np.array(render_text(LINES, size=60).convert("L")), 20.0, 4.0) == 1.0


def test_a_page_turned_sideways_measures_as_upright():
    gray = np.array(render_text(LINES, size=24).convert("L"))
    assert text_size.letter_height(np.rot90(gray)) == text_size.letter_height(gray)
