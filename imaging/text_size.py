"""How tall a page's letters are, in pixels, without reading it: the median long side of its
ink's connected components that are shaped like letters, so that a page turned sideways measures
the same as upright.

Tesseract's orientation detection (OSD) is tuned for 300-dpi scans, where letters stand 20–40 px
tall; on a 100-dpi form (letters 6–9 px) it finds too few characters or answers with next to no
confidence. An integrator that does not know the resolution (our benchmark pages carry none)
measures the letters instead and enlarges a page of small text before asking.
"""

from __future__ import annotations

import cv2
import numpy as np

#: components shorter than this are specks and dots, not letters
MIN_LETTER = 4
#: fewer letter-shaped components than this: too little text to measure
MIN_LETTERS = 10


def ink(gray: np.ndarray) -> np.ndarray:
    """`gray`'s text pixels as 1, the rest 0, by Otsu's threshold: dark text on a light page or
    light text on a dark one (the text is the minority)."""
    _, mask = cv2.threshold(gray, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return 1 - mask if mask.mean() > 0.5 else mask


def letter_height(gray: np.ndarray) -> float:
    """The median long side of `gray`'s letter-shaped ink components (dark or light text), which
    is their height whichever way the page is turned; 0 when it holds too few of them to tell."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink(gray), connectivity=8)
    long = np.maximum(stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH])
    short = np.minimum(stats[1:, cv2.CC_STAT_HEIGHT], stats[1:, cv2.CC_STAT_WIDTH])
    # letters: bigger than a speck, far smaller than the page, not a rule or a run of joined letters
    letters = (long >= MIN_LETTER) & (long <= min(gray.shape) / 8) & (long <= 4 * short)
    return float(np.median(long[letters])) if letters.sum() >= MIN_LETTERS else 0.0


def enlargement(gray: np.ndarray, wanted_height: float, most: float) -> float:
    """The factor (1 to `most`) that brings `gray`'s letters to `wanted_height` pixels; 1 when they
    are that tall already or cannot be measured."""
    height = letter_height(gray)
    return float(min(most, wanted_height / height)) if 0 < height < wanted_height else 1.0
