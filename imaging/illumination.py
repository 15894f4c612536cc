"""Uneven lighting taken off a page before it is read: the paper's brightness is estimated and
divided out, so a shadow, a highlight or a dim corner leaves text on a flat white.

Phone photos of documents are lit unevenly (the reference: "shadows and uneven lighting ...
reflective highlights"); flatbed scans and screenshots are not. The estimate is the page's
local brightest level (paper between strokes), found on a small copy of the page: a max filter
wider than any stroke, a median to drop specks, a blur to smooth it. A page is flattened when
that background varies more than `UNEVEN_SPREAD` (on train: at all); a perfectly even page (a
screenshot, most clean scans) is left exactly as it is. Each engine says whether it flattens by
default, from its own measurement on train pages and their photos (`benchmarks/illumination_gate.py`):
Tesseract's global threshold gains from it; the in-house detector (MSER, local by nature) and recognizer (each crop
contrast-stretched) lose, so it reads photos as they are and flattens only the small copy its
orientation step profiles. Reads can ask either way with `engine_args["illumination"]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from kernel.errors import OcrInputError

#: the background is estimated on a copy whose long side is this many pixels
WORK_SIDE = 512
#: the max filter's width on that copy: wider than a stroke of any text at phone resolution
#: (7 px there is 27 px on a 2000 px photo), narrower than a shadow's soft edge
MAX_FILTER = 7
#: the spread of the paper's brightness, (95th - 5th percentile) / 95th, above which a page
#: counts as unevenly lit. Chosen on 40 train pages and their 40 simulated photos
#: (benchmarks/results/illumination_gate_tesseract.json), never on dev, by the rule fixed before
#: the run (fewest aligned errors over both, clean pages no worse than never flattening): any
#: variation at all. Tesseract, flattening: clean .2183 -> .2163, photos .4955 -> .3365; a gate
#: at 0.25 would have kept .3620 on photos.
UNEVEN_SPREAD = 0.0
#: background darker than this (0-255) is not paper: dark panels, photos, inverted banners keep
#: their pixels, where dividing would only amplify noise
MIN_PAPER = 48
#: the level that paper is lifted to
WHITE = 245.0
#: an engine's `engine_args["illumination"]`: "auto" flattens an unevenly lit page, "off" never does
MODES = ("auto", "off")
#: named in the engines' versions, so that cached and stored outputs tell which flattening read them
VERSION = f"illum1@{UNEVEN_SPREAD:g}"


@dataclass(frozen=True)
class Background:
    """The paper's estimated brightness at every pixel, and how much it varies over the page."""

    level: np.ndarray  # float32, the page's shape
    spread: float

    @property
    def uneven(self) -> bool:
        return self.spread > UNEVEN_SPREAD


def estimate_background(gray: np.ndarray) -> Background:
    """The paper's brightness under `gray` (8-bit, one channel)."""
    height, width = gray.shape
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (MAX_FILTER, MAX_FILTER))
    paper = cv2.dilate(small, kernel)
    paper = cv2.medianBlur(paper, 5)
    paper = cv2.GaussianBlur(paper, (0, 0), sigmaX=MAX_FILTER / 2)
    spread = _spread(paper)
    level = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    return Background(level, spread)


def _spread(paper: np.ndarray) -> float:
    """How much the paper's brightness varies: (95th - 5th percentile) / 95th over the pixels
    bright enough to be paper; 0 where less than half the page is (a dark-themed screen)."""
    bright = paper[paper >= MIN_PAPER]
    if bright.size < paper.size / 2:
        return 0.0
    low, high = np.percentile(bright, (5, 95))
    return float((high - low) / high)


def flatten(gray: np.ndarray, background: Background) -> np.ndarray:
    """`gray` with the background divided out (paper at `WHITE`); dark regions are kept as they are."""
    level = background.level
    paper = level >= MIN_PAPER
    flat = gray.astype(np.float32) * (WHITE / np.maximum(level, 1.0))
    out = np.where(paper, flat, gray.astype(np.float32))
    return np.clip(out, 0, 255).astype(np.uint8)


def flatten_if_uneven(gray: np.ndarray) -> np.ndarray | None:
    """The flattened page when its lighting is uneven, else None (read the page as it is)."""
    background = estimate_background(gray)
    return flatten(gray, background) if background.uneven else None


def flatten_as_asked(gray: np.ndarray, engine_args: Mapping[str, str], engine: str, default: str) -> np.ndarray | None:
    """`flatten_if_uneven` when the read's `illumination` option (else the engine's `default`) is
    "auto"; None when it is "off"; a bad value is an input error."""
    wanted = engine_args.get("illumination", default)
    if wanted not in MODES:
        raise OcrInputError(f"{engine} illumination must be one of {', '.join(MODES)}, got {wanted!r}")
    return flatten_if_uneven(gray) if wanted == "auto" else None
