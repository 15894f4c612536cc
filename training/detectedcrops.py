"""Word crops cut where the in-house detector finds words, labelled by the ground-truth words each holds.

Segment crops (`realcrops.cut_crops`) are what a perfect detector would hand the recognizer: one
token, its exact box, level. The engine hands it something else: its own boxes, padded and
stretched to the line, a word on a sloping line sheared level (`InhouseEngine.word_crops`), and
every word of a SROIE phrase, of which the segment crops keep only one-word phrases. This module
cuts the crops the engine cuts, on a page set or on a photo set of one, and labels each detected
word with the ground-truth words it holds: those of which `INSIDE_SHARE` of the box lies in the
detection, left to right, joined by spaces where the ink has one, when their union matches the
detection (IoU ≥ `MATCH_IOU`). A detection that holds two words is labelled with both and a space: the engine's
Wordinator splits such a reading at its spaces, and a network that only ever saw one-word real
crops stops writing them (forms lost 0.9 points of aligned CER that way). Truth word boxes are
`evaluation.perfect.perfect_reading`'s, carried through the photo's recorded geometry on a photo
set. A SROIE word's box is its share of the phrase box, an approximation, so the label's length
must also fit the detected box (`fits_width`): a detection holding half a word is left out, not
mislabelled.

Only the `train` split and its photos may be used; pages are held out as `realcrops.is_holdout` says.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from capture.geometry import map_boxes
from capture.photoset import Capture, captures
from engines.result import BBox, Word
from evaluation.dataset import BenchmarkRecord, load_set
from evaluation.metrics import intersection_matrix
from evaluation.normalize import uppercase_categories
from evaluation.perfect import perfect_reading
from inhouse.engine import InhouseEngine
from inhouse.recognizer.charset import in_charset, normalize_text
from training.realcrops import TRAIN_SPLIT, Crop, CropConfig, is_holdout

#: a truth word is in a detection when this share of its box lies inside the detection's box
INSIDE_SHARE = 0.6
#: ... and the detection is labelled with the words in it when their union matches it at this IoU or more
MATCH_IOU = 0.5
#: FUNSD splits "81-01-07" and "Seoul/Pusan" into words at the hyphen or slash, the next word's box
#: (nearly) touching; printed with a space, the gap is a quarter of a line height or more
JOINED_AFTER, JOINED_GAP = ("-", "/"), 0.15
#: a word of n characters fits a detected box between these widths, in the line's text heights per character
MIN_CHAR_WIDTH, MAX_CHAR_WIDTH = 0.35, 1.1


def fits_width(text: str, width: float, text_height: float) -> bool:
    """Whether `text` could fill a detected box `width` pixels wide on a line of that text height."""
    if text_height <= 0:
        return True
    per_char = width / (len(text) * text_height)
    return MIN_CHAR_WIDTH <= per_char <= MAX_CHAR_WIDTH


def labels(detected: list[BBox], truth: list[Word]) -> list[str | None]:
    """Each detection's label: the truth words in it (`INSIDE_SHARE`), left to right, joined by
    spaces (`_joined`), when their union matches the detection (`MATCH_IOU`); else None."""
    if not detected or not truth:
        return [None] * len(detected)
    inter, _, area = intersection_matrix(detected, [w.bbox for w in truth])
    inside = (inter >= INSIDE_SHARE * area) & (area > 0)
    out: list[str | None] = []
    for box, row in zip(detected, inside, strict=True):
        words = sorted((truth[int(i)] for i in np.flatnonzero(row)), key=lambda w: w.bbox.x0)
        matched = bool(words) and box.iou(BBox.union([w.bbox for w in words])) >= MATCH_IOU
        out.append(_joined(words) if matched else None)
    return out


def _joined(words: list[Word]) -> str:
    """The words' texts left to right, a space between two unless the first ends in a hyphen or
    slash and the second's box (nearly) touches it (`JOINED_GAP` of the line's height)."""
    text = normalize_text(words[0].text)
    for left, right in zip(words, words[1:], strict=False):
        gap = (right.bbox.x0 - left.bbox.x1) / max(1, min(left.bbox.height, right.bbox.height))
        joined = left.text.endswith(JOINED_AFTER) and gap < JOINED_GAP
        text += ("" if joined else " ") + normalize_text(right.text)
    return text


def _truth_words(record: BenchmarkRecord, capture: Capture | None) -> list[Word]:
    """The record's ground-truth words with their boxes on its own image."""
    if capture is None:
        return list(perfect_reading(record).words)
    step = capture.geometry
    return list(perfect_reading(capture.source, functools.partial(map_boxes, step=step), step.dst_size).words)


def detected_crops(
    split: Path = TRAIN_SPLIT,
    holdout: bool | None = None,
    engine: InhouseEngine | None = None,
) -> list[Crop]:
    """The engine's crops of the words it finds on `split`'s pages (a page set, or a photo set whose
    `photoset.json` names its source), each labelled with the truth words it holds (`labels`); holdout
    as in `cut_crops`."""
    engine = engine or InhouseEngine()
    pages = load_set(split)
    upper = uppercase_categories((r.category, r.text) for r in pages.records)
    taken = captures(split)
    crops: list[Crop] = []
    for record in pages.records:
        if holdout is not None and is_holdout(record.id, CropConfig.holdout_fraction) != holdout:
            continue
        truth = _truth_words(record, taken.get(record.id))
        detection, images = engine.word_crops(record.image)
        chopped = {w.chop_group for w in detection.words if w.chop_part}
        for word, image, text in zip(
            detection.words, images, labels([w.bbox for w in detection.words], truth), strict=True
        ):
            if word.chop_group in chopped or not text or not in_charset(text):
                continue
            if not fits_width(text, word.bbox.width, detection.text_height):
                continue
            crops.append(Crop(image, text, record.category, record.id, record.category in upper))
    return crops
