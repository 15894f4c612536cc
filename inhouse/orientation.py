"""Page orientation: 0, 90, 180 or 270 degrees (clockwise rotation that makes the page upright).

Two cheap questions instead of a second deep net:
1. Do text lines run across or down? Character components' nearest neighbours lie mostly
   beside each other on horizontal text and above each other on rotated text.
2. Which way up? The recognizer reads sample words with more confidence right side up than
   upside down. A page is turned only when the evidence clears a margin (chosen on data):
   turning an upright page is the costly mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inhouse.detector import DetectorConfig, detect_words
from inhouse.detector.detect import crop
from inhouse.detector.regions import character_components, working_scale

PROBE_MAX_SIDE = 1400
SAMPLE_WORDS = 24
MIN_SAMPLE_WORDS = 4
FLIP_MARGIN = 0.15          # mean confidence gain needed to turn a page upside down
VERTICAL_SHARE = 0.65       # share of vertical neighbour links that says "text runs down"
MAX_NEIGHBOUR_POINTS = 1000


@dataclass(frozen=True)
class Orientation:
    rotation: int            # clockwise degrees applied to make the page upright
    vertical_share: float
    upright_confidence: float
    flipped_confidence: float


def rotate(gray: np.ndarray, degrees: int) -> np.ndarray:
    """Rotate clockwise by 0/90/180/270 degrees."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(gray, codes[degrees]) if degrees in codes else gray


def vertical_share(gray: np.ndarray, config: DetectorConfig) -> float:
    """Share of character components whose nearest neighbour is above/below rather than beside."""
    scale = working_scale(gray, config)
    small = cv2.resize(gray, None, fx=scale, fy=scale) if scale != 1 else gray
    boxes = character_components(small, config)
    if len(boxes) < 8:
        return 0.0
    centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], axis=1)
    if len(centres) > MAX_NEIGHBOUR_POINTS:  # all-pairs distances: keep the matrix small
        centres = centres[np.random.default_rng(0).choice(len(centres), MAX_NEIGHBOUR_POINTS, replace=False)]
    delta = centres[:, None, :] - centres[None, :, :]
    distance = np.hypot(delta[..., 0], delta[..., 1])
    np.fill_diagonal(distance, np.inf)
    nearest = distance.argmin(axis=1)
    offsets = np.abs(delta[np.arange(len(centres)), nearest])
    return float(np.mean(offsets[:, 1] > offsets[:, 0]))


def _probe(gray: np.ndarray) -> np.ndarray:
    factor = min(1.0, PROBE_MAX_SIDE / max(gray.shape))
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray


def predict(gray: np.ndarray, read_crops, config: DetectorConfig | None = None) -> Orientation:
    """`read_crops(list of crops) -> [(text, confidence)]` is the recognizer."""
    config = config or DetectorConfig()
    probe = _probe(gray)
    share = vertical_share(probe, config)
    base = 90 if share >= VERTICAL_SHARE else 0
    turned = rotate(probe, base)
    words = sorted(detect_words(turned, config).words, key=lambda w: -w.bbox.width)[:SAMPLE_WORDS]
    if len(words) < MIN_SAMPLE_WORDS:
        return Orientation(base, share, 0.0, 0.0)
    crops = [crop(turned, w.bbox, config.crop_padding) for w in words]
    readings = read_crops(crops + [cv2.rotate(c, cv2.ROTATE_180) for c in crops])
    upright = float(np.mean([r[1] for r in readings[: len(crops)]]))
    flipped = float(np.mean([r[1] for r in readings[len(crops):]]))
    rotation = (base + 180) % 360 if flipped > upright + FLIP_MARGIN else base
    return Orientation(rotation, share, upright, flipped)
