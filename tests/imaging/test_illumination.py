"""Uneven lighting is divided out before reading; evenly lit pages are left exactly as they are."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engines.options import RecognizeOptions
from engines.registry import get_engine
from imaging import illumination
from kernel.errors import OcrInputError


def _text_page(width: int = 1200, height: int = 1600) -> np.ndarray:
    page = np.full((height, width), 240, np.uint8)
    for row in range(12):
        cv2.putText(page, f"Line {row} of the receipt TOTAL 12.50", (60, 100 + row * 120),
                    cv2.FONT_HERSHEY_SIMPLEX, 1.4, 20, 3, cv2.LINE_AA)
    return page


def _shadowed(page: np.ndarray) -> np.ndarray:
    """A soft shadow over the left half and a dim bottom edge: a phone's lighting."""
    height, width = page.shape
    xs = np.linspace(0, 1, width)[None, :]
    ys = np.linspace(0, 1, height)[:, None]
    light = 1 - 0.5 / (1 + np.exp((xs - 0.45) * 40)) - 0.25 * ys**2
    return np.clip(page * light, 0, 255).astype(np.uint8)


def test_an_evenly_lit_page_is_left_as_it_is():
    page = _text_page()
    assert not illumination.estimate_background(page).uneven
    assert illumination.flatten_if_uneven(page) is None


def test_a_dark_themed_page_is_left_as_it_is():
    page = 255 - _text_page()  # light text on a dark screen: no paper to divide by
    assert illumination.flatten_if_uneven(_shadowed(page)) is None


def test_a_shadowed_page_is_flattened_to_even_paper_with_its_ink_kept():
    clean = _text_page()
    shadowed = _shadowed(clean)
    background = illumination.estimate_background(shadowed)
    assert background.uneven
    flat = illumination.flatten_if_uneven(shadowed)
    assert flat is not None
    ink = clean < 128
    paper = cv2.erode((~ink).astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    # paper: as even as a clean page, where the shadowed page's paper varied by half
    assert np.percentile(shadowed[paper], 95) - np.percentile(shadowed[paper], 5) > 90
    assert np.percentile(flat[paper], 95) - np.percentile(flat[paper], 5) < 25
    # ink: still dark against the paper everywhere, in the shadow too
    assert np.median(flat[ink]) < 0.5 * np.median(flat[paper])
    # one global threshold now separates ink from paper (it could not before)
    _, before = cv2.threshold(shadowed, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    _, after = cv2.threshold(flat, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    assert ((after == 0) == ink).mean() > ((before == 0) == ink).mean() + 0.05
    assert ((after == 0) == ink).mean() > 0.97


@pytest.mark.parametrize("engine", ["tesseract", "inhouse"])
def test_a_bad_illumination_option_is_refused_in_one_line(engine):
    with pytest.raises(OcrInputError, match="illumination must be one of auto, off"):
        get_engine(engine).recognize(_text_page(300, 200), RecognizeOptions(engine_args={"illumination": "on"}))


def test_tesseract_reads_a_shadowed_page_better_flattened():
    """Tesseract's global threshold loses the shadowed half; flattened first, it reads it."""
    page = _shadowed(_text_page())
    engine = get_engine("tesseract")
    flattened = engine.recognize(page, RecognizeOptions()).text
    as_is = engine.recognize(page, RecognizeOptions(engine_args={"illumination": "off"})).text
    assert flattened.count("receipt") > as_is.count("receipt")
    assert flattened.count("receipt") >= 10
