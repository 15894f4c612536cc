"""Words on a sloping line read level: each line's slope from the detector's own letters, and a
word's crop sheared so that its line runs level before the recognizer sees it.

A phone's rectified page keeps some slope: the simulator's residual rotation (up to 2°) and
perspective (corners moved by up to 3% of the page), which on a long receipt tilts lines by
several degrees, differently at its top and bottom, so no single page angle levels them all. The
detector's line grouping follows a sloping line already; its word boxes are then axis-aligned
around tilted words, and a long tilted word (a 13-digit barcode number) reaches the recognizer
rising across its crop. The foot of a line's letters runs along its slope: the median of the
slopes between pairs of feet (Theil–Sen, so descenders and punctuation do not pull it). A
vertical shear by that slope levels the word and moves no column, so its box stays its box.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from engines.result import BBox
from inhouse.detector.detect import Detection

#: a line tells its slope when it has this many letters ...
MIN_LETTERS = 6
#: ... spread over at least this many of their heights
MIN_SPAN_HEIGHTS = 6.0
#: a letter is at least this share of the line's median character height (not a dot or a comma)
LETTER_HEIGHT_SHARE = 0.6
#: the feet paired with each other for the slope, at most this many per line (evenly spaced)
MAX_FEET = 40
#: a slope under this (degrees) is left alone: shearing resamples the crop for less than it gains
MIN_DEGREES = 0.5
#: the share of the slope's rise across the word taken out of the crop's height (the rest is margin:
#: a line's slope is an estimate, and a curved line bends within a word)
RISE_TAKEN = 0.8
#: the levelled crop keeps at least this share of its box's height
MIN_HEIGHT_SHARE = 0.5


def _theil_sen(feet: np.ndarray) -> float:
    """The median slope (dy/dx) between pairs of the (x, y) points at least a quarter of their span apart."""
    x, y = feet[:, 0], feet[:, 1]
    i, j = np.triu_indices(len(feet), 1)
    dx = x[j] - x[i]
    far = np.abs(dx) >= 0.25 * (x.max() - x.min())
    return float(np.median((y[j] - y[i])[far] / dx[far]))


def line_slopes(detection: Detection) -> dict[int, float]:
    """Each line's slope (dy/dx, image rows run down) where its letters tell it and it is at least
    `MIN_DEGREES`; lines left out are read as they are."""
    chars: dict[int, list[BBox]] = {}
    for word in detection.words:
        chars.setdefault(word.line, []).extend(word.char_boxes)
    slopes = {}
    limit = math.tan(math.radians(MIN_DEGREES))
    for line, boxes in chars.items():
        heights = np.array([b.height for b in boxes], dtype=float)
        if len(boxes) < MIN_LETTERS:
            continue
        letters = [b for b, h in zip(boxes, heights, strict=True) if h >= LETTER_HEIGHT_SHARE * np.median(heights)]
        feet = np.array(sorted(((b.x0 + b.x1) / 2, b.y1) for b in letters), dtype=float)
        if len(letters) < MIN_LETTERS or feet[-1, 0] - feet[0, 0] < MIN_SPAN_HEIGHTS * float(np.median(heights)):
            continue
        feet = feet[np.linspace(0, len(feet) - 1, min(len(feet), MAX_FEET)).round().astype(int)]
        slope = _theil_sen(feet)
        if abs(slope) >= limit:
            slopes[line] = slope
    return slopes


def level_crop(gray: np.ndarray, box: BBox, slope: float, padding: int) -> np.ndarray:
    """The word in `box` with `padding` around it, sheared so that a line of `slope` runs level:
    the same columns, and rows as high as the word's letters are once the slope's rise is taken out."""
    height = max(box.height - RISE_TAKEN * abs(slope) * box.width, MIN_HEIGHT_SHARE * box.height)
    out_width, out_height = box.width + 2 * padding, int(round(height)) + 2 * padding
    left = box.x0 - padding
    centre_x, centre_y = (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2
    top = centre_y - out_height / 2
    # crop pixel (u, v) reads the page at (left + u, top + v + slope × (left + u − centre_x))
    inverse = np.array([[1.0, 0.0, left], [slope, 1.0, top + slope * (left - centre_x)]])
    return cv2.warpAffine(
        gray,
        inverse,
        (out_width, out_height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
