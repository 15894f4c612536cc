"""Small skew taken off a page before it is read: the angle at which its text lines slope, and the
page turned to level them, with the way back for every box read on it.

A phone's document scanner rectifies the page it finds, but not perfectly: the reference's photos
and our simulated ones keep a degree or two of rotation, enough on a long receipt to drift a line
by its own height and merge it with the next. OCRmyPDF's `--deskew` (Leptonica's skew finder) is
the anchor; the estimate is the same idea: text pixels projected along a candidate slope pile up
into sharp peaks and valleys (one per line and gap) only at the right slope, so the slope whose
projection changes most from one step to the next (sum of squared differences) wins. Lines that
run down the page (a page turned a quarter) are projected the other way, so the angle holds
whichever quarter the page is turned; the turn about the page's centre commutes with quarter turns.

Skew under `MIN_DEGREES` is left alone: interpolating a page costs its strokes some sharpness for
a slope that moves a line by less than a pixel in a hundred or so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np

from kernel.errors import OcrInputError

#: the estimate works on a copy whose long side is at most this many pixels
WORK_SIDE = 1000
#: slopes searched, degrees either way: a scanner app's leftover, not a page photographed askew
MAX_DEGREES = 5.0
#: a coarse sweep at this step, then a fine one around its best
COARSE_STEP = 0.5
FINE_STEP = 0.05
#: at most this many text pixels enter the projections (a random sample, seeded: reads repeat)
MAX_POINTS = 60_000
#: a slope smaller than this is left as it is (degrees): chosen on train pages and their photos with
#: Tesseract (`benchmarks/deskew_ab.py`, `aligned_cer_by_min_degrees`: all pages .2737 at 0.2, .2677 at
#: 0.5, .2693 at 0.75, .2711 at 1.0); a page turned by less loses more to interpolation than it gains
MIN_DEGREES = 0.5
#: the best slope's projection must beat the level one's sharpness by this factor, else the page
#: has no lines to level (a photo, a drawing, a blank)
MIN_SHARPENING = 1.05
#: an engine's `engine_args["deskew"]`: "auto" levels a skewed page, "off" never does
MODES = ("auto", "off")
VERSION = f"deskew2@{MIN_DEGREES:g}"

Box = tuple[int, int, int, int]  # x0, y0, x1 (exclusive), y1 (exclusive)


@dataclass(frozen=True)
class Leveled:
    """A page turned back by its skew onto a canvas that holds all of it; `to_source` takes a box
    on that canvas back to the page as it was."""

    pixels: np.ndarray
    skew: float  # degrees the page was turned counter-clockwise (OpenCV's sense) and has been turned back
    matrix: np.ndarray  # 2×3 affine, source → canvas
    source_shape: tuple[int, int]  # (height, width) of the page as it was

    def to_source(self, box: Box) -> Box:
        """The smallest box on the source page that holds `box` of the canvas, clipped to the page."""
        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64)
        back = cv2.invertAffineTransform(self.matrix)
        points = corners @ back[:, :2].T + back[:, 2]
        height, width = self.source_shape
        return (
            int(np.clip(np.floor(points[:, 0].min()), 0, width)),
            int(np.clip(np.floor(points[:, 1].min()), 0, height)),
            int(np.clip(np.ceil(points[:, 0].max()), 0, width)),
            int(np.clip(np.ceil(points[:, 1].max()), 0, height)),
        )


def _text_points(gray: np.ndarray) -> np.ndarray:
    """(x, y) of a sample of dark text pixels on a small copy, in that copy's pixels; a local
    threshold, so that a shadow is not taken for text."""
    block = max(15, (min(gray.shape) // 40) | 1)
    mask = cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, 15)
    ys, xs = np.nonzero(mask)
    points = np.stack([xs, ys], axis=1).astype(np.float64)
    if len(points) > MAX_POINTS:
        points = points[np.random.default_rng(0).choice(len(points), MAX_POINTS, replace=False)]
    return points


def _sharpness(offsets: np.ndarray) -> float:
    """How sharply points pile up along one axis: the sum of squared steps of their histogram."""
    counts = np.bincount(np.round(offsets - offsets.min()).astype(np.int64))
    return float(np.sum(np.diff(counts) ** 2))


def _sweep(points: np.ndarray, angles: np.ndarray, across: bool) -> np.ndarray:
    """Sharpness of the projection at each angle: of rows for lines across, of columns for lines
    down; sharpest at the angle by which the page is turned counter-clockwise."""
    x, y = points[:, 0], points[:, 1]
    tangents = np.tan(np.radians(angles))
    if across:
        return np.array([_sharpness(y + x * t) for t in tangents])
    return np.array([_sharpness(x - y * t) for t in tangents])


def skew_angle(gray: np.ndarray) -> float:
    """How far `gray`'s text lines are turned counter-clockwise (degrees, OpenCV's sense; negative:
    clockwise); 0 when they are level within `MIN_DEGREES` or there are none to tell by."""
    scale = min(1.0, WORK_SIDE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    points = _text_points(small)
    if len(points) < 100:
        return 0.0
    coarse = np.arange(-MAX_DEGREES, MAX_DEGREES + COARSE_STEP / 2, COARSE_STEP)
    best_across, best_down = _sweep(points, coarse, True), _sweep(points, coarse, False)
    level = np.flatnonzero(np.isclose(coarse, 0.0))[0]
    across = best_across.max() / max(best_across[level], 1.0) >= best_down.max() / max(best_down[level], 1.0)
    sweep = best_across if across else best_down
    start = coarse[int(np.argmax(sweep))]
    fine = np.arange(start - COARSE_STEP, start + COARSE_STEP + FINE_STEP / 2, FINE_STEP)
    fine_sweep = _sweep(points, fine, across)
    angle = float(fine[int(np.argmax(fine_sweep))])
    if abs(angle) < MIN_DEGREES or fine_sweep.max() < MIN_SHARPENING * max(sweep[level], 1.0):
        return 0.0
    return round(angle, 2)


def level(pixels: np.ndarray, skew: float) -> Leveled:
    """`pixels` (gray or colour) turned back by `skew` (`skew_angle`) about its centre onto a
    canvas just large enough, the new corners filled with the page's edge."""
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), -skew, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))
    matrix[0, 2] += (new_width - width) / 2
    matrix[1, 2] += (new_height - height) / 2
    turned = cv2.warpAffine(
        pixels, matrix, (new_width, new_height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return Leveled(turned, skew, matrix, (height, width))


def skew_as_asked(
    gray: np.ndarray, engine_args: Mapping[str, str], engine: str, default: str, whole_page: bool
) -> float:
    """The skew to take off by the read's `deskew` option (else the engine's `default`): the
    estimate when it is "auto" and the read is of a whole page (a line or a word has no lines to
    level by), 0 otherwise; a bad value is an input error."""
    wanted = engine_args.get("deskew", default)
    if wanted not in MODES:
        raise OcrInputError(f"{engine} deskew must be one of {', '.join(MODES)}, got {wanted!r}")
    return skew_angle(gray) if wanted == "auto" and whole_page else 0.0
