"""MSER regions → a mask of text-like pixels → character-level components (boxes).

OpenCV's MSER finds both dark-on-light and light-on-dark extremal regions of the gray page in
one pass. Regions that do not look like characters (too small, too big, too long, too empty or
too solid) are dropped; the rest are unioned into a mask, so nested regions (a letter and its
hole, a stroke and its letter) collapse into one component.
"""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import cv2
import numpy as np

from inhouse.detector.config import DetectorConfig


def mser_boxes(
    gray: np.ndarray, config: DetectorConfig, max_area: int | None = None
) -> tuple[list[np.ndarray], np.ndarray]:
    """MSER regions (point lists, x then y) and their boxes (x, y, w, h), none larger than
    `max_area` pixels or the config's share of the page."""
    largest = int(gray.size * config.mser_max_area_fraction)
    largest = min(largest, max_area) if max_area is not None else largest
    mser = cv2.MSER.create(
        delta=config.mser_delta,
        min_area=config.mser_min_area,
        max_area=max(config.mser_min_area + 1, largest),
        max_variation=config.mser_max_variation,
        min_diversity=config.mser_min_diversity,
    )
    regions, boxes = mser.detectRegions(gray)
    # OpenCV's stubs type the regions as nested sequences of points; they are (n, 2) int32 arrays
    return cast(list[np.ndarray], list(regions)), np.asarray(boxes, dtype=np.int64).reshape(-1, 4)


def text_height(boxes: np.ndarray, floor: float = 4.0) -> float:
    """The typical character height among region boxes (x, y, w, h), robust to noise and blobs."""
    if len(boxes) == 0:
        return 0.0
    heights = boxes[:, 3].astype(float)
    plausible = heights[(heights >= floor) & (boxes[:, 2] <= boxes[:, 3] * 3)]
    return float(np.median(plausible)) if len(plausible) else float(np.median(heights))


def working_scale(gray: np.ndarray, config: DetectorConfig) -> float:
    """The resize factor that makes text about `target_text_height` pixels tall."""
    probe = min(1.0, config.probe_max_side / max(gray.shape))
    small = cv2.resize(gray, None, fx=probe, fy=probe, interpolation=cv2.INTER_AREA) if probe < 1 else gray
    height = text_height(mser_boxes(small, config)[1]) / probe
    if height <= 0:
        return 1.0
    return float(np.clip(config.target_text_height / height, config.min_scale, config.max_scale))


def largest_character_area(config: DetectorConfig) -> int:
    """Pixels of the largest region that the filters of `character_components` could keep.

    Lower than a frame, a region is at most `max_aspect` times as wide as it is tall; as tall as
    a frame or taller, it is narrower than one. MSER need not hand over anything bigger: on a
    full page that spares it copying out the pixel lists of whole words and paragraphs.
    """
    h = config.target_text_height
    frame_height = config.frame_min_height_ratio * h
    low = frame_height * config.max_aspect * frame_height
    tall = config.max_height_ratio * h * config.frame_min_width_ratio * h
    return int(np.ceil(max(low, tall)))


def character_components(gray: np.ndarray, config: DetectorConfig) -> np.ndarray:
    """Boxes [x0, y0, x1, y1] (exclusive ends) of character-like components of `gray`."""
    regions, boxes = mser_boxes(gray, config, largest_character_area(config))
    if not len(boxes):
        return np.zeros((0, 4), dtype=np.int64)
    h = config.target_text_height
    widths, heights = boxes[:, 2], boxes[:, 3]
    areas = np.array([len(r) for r in regions], dtype=np.float64)
    fill = areas / np.maximum(widths * heights, 1)
    blocky = (widths >= h * config.blocky_ratio) & (heights >= h * config.blocky_ratio)
    frame = (heights >= h * config.frame_min_height_ratio) & (widths >= h * config.frame_min_width_ratio)
    keep = (
        (heights >= h * config.min_height_ratio)
        & (heights <= h * config.max_height_ratio)
        & (widths <= heights * config.max_aspect)
        & (fill >= config.min_fill)
        & ~(blocky & (fill > config.max_fill))  # thin strokes (I, l, 1, -) are solid too
        & ~frame
    )
    mask = np.zeros(gray.shape, dtype=np.uint8)
    kept = [regions[i] for i in np.flatnonzero(keep)]
    if kept:
        points = np.concatenate(kept)
        mask[points[:, 1], points[:, 0]] = 255
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    stats = stats[1:count]
    x, y, w, hh = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    good = (
        (hh >= h * config.min_component_height_ratio)
        & (hh <= h * config.max_component_height_ratio)
        & (w <= hh * config.max_rule_aspect)
        & (hh <= w * config.max_rule_aspect)
    )
    return np.stack([x, y, x + w, y + hh], axis=1)[good].astype(np.int64)


_CONTRAST_SAMPLE = 256  # first-pass components whose median contrast stands for the page's


def _contrasts(gray: np.ndarray, boxes: np.ndarray, config: DetectorConfig) -> np.ndarray:
    """Each box's contrast: the 95th less the 5th percentile of gray over the box and a fifth of the
    target text height around it."""
    padding = max(1, round(0.2 * config.target_text_height))
    height, width = gray.shape
    out = np.empty(len(boxes), dtype=np.float64)
    for k, (x0, y0, x1, y1) in enumerate(boxes):
        patch = gray[max(0, y0 - padding) : min(height, y1 + padding), max(0, x0 - padding) : min(width, x1 + padding)]
        low, high = np.percentile(patch, (5, 95))
        out[k] = high - low
    return out


def page_contrast(gray: np.ndarray, first: np.ndarray, config: DetectorConfig) -> float:
    """How crisp the page's print is: the median contrast of up to 256 of `first`, the first pass's
    components, evenly sampled (0 for a page without any)."""
    if not len(first):
        return 0.0
    sample = first[np.unique(np.linspace(0, len(first) - 1, min(len(first), _CONTRAST_SAMPLE)).astype(np.int64))]
    return float(np.median(_contrasts(gray, sample, config)))


def faint_components(gray: np.ndarray, first: np.ndarray, contrast: float, config: DetectorConfig) -> np.ndarray:
    """Components that a fainter MSER pass (`faint_mser_delta`) adds to `first`, the first pass's
    (none unless the config's `faint_pass` is on).

    Soft print (a blurred photo, a faded till roll) holds no region over `mser_delta` grey levels
    and is lost whole; a smaller delta finds it, and noise with it. A new component counts if it
    overlaps no first-pass component and has at least `faint_min_contrast` of their median contrast
    (paper texture and JPEG ringing have little); the pass is kept only where it adds at least
    `faint_min_gain` x the first pass's count (most pages it only sprinkles). It runs only on pages
    whose first-pass print is soft itself (`contrast`, `page_contrast`'s, at most
    `faint_max_page_contrast`): crisp pages lose no print to the first pass, and there the second
    MSER is a quarter of the read's time.
    """
    empty = np.zeros((0, 4), dtype=np.int64)
    if not config.faint_pass or not len(first) or contrast > config.faint_max_page_contrast:
        return empty
    found = character_components(gray, replace(config, mser_delta=config.faint_mser_delta))
    if not len(found):
        return empty
    ink = np.zeros(gray.shape, dtype=np.uint8)
    for x0, y0, x1, y1 in first:
        ink[y0:y1, x0:x1] = 1
    integral = cv2.integral(ink)
    x0, y0, x1, y1 = found.T
    covered = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
    new = found[covered == 0]
    if len(new) < config.faint_min_gain * len(first):
        return empty
    floor = config.faint_min_contrast * contrast
    new = new[_contrasts(gray, new, config) >= floor]
    return new if len(new) >= config.faint_min_gain * len(first) else empty
