"""A second detection for soft pages: the page detected again on a sharpened copy, and of the two
readings the one expected to get more characters right.

Blur and uneven light leave MSER a choice that no one setting gets right on every page: sharpening
its input steepens soft strokes into stable regions on a blurred photo and breaks crisp print into
fragments on a clean one. Where the first pass's print is soft (`DetectorConfig.
sharpened_detection_max_contrast`), the engine reads the page both ways and lets the recognizer's
calibrated confidence choose, page by page; crisp pages, most of them, are read once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from inhouse.detector import DetectorConfig
from inhouse.detector.detect import Detection
from inhouse.postprocess.buckets import ReadWord


def wanted(detection: Detection, config: DetectorConfig) -> bool:
    """Whether a page detected as `detection` is soft enough to be detected again, sharpened."""
    return 0 < detection.contrast <= config.sharpened_detection_max_contrast


def sharpened(config: DetectorConfig) -> DetectorConfig:
    """The detector's settings for the second detection."""
    return dataclasses.replace(config, mser_sharpen=config.sharpened_detection_amount)


def expected_correct(words: Iterable[ReadWord]) -> float:
    """How many characters a reading is expected to get right: each word's length times the
    calibrated probability that it is read exactly (a reading that finds more print, surely, wins)."""
    return sum(len(word.text) * word.confidence for word in words)
