"""Word crops cut where the in-house detector finds words, labelled by the ground-truth word each covers.

Segment crops (`realcrops.cut_crops`) are what a perfect detector would hand the recognizer: one
token, its exact box, level. The engine hands it something else: its own boxes, padded and
stretched to the line, a word on a sloping line sheared level (`InhouseEngine.word_crops`), and
every word of a SROIE phrase, of which the segment crops keep only one-word phrases. This module
cuts the crops the engine cuts, on a page set or on a photo set of one, and labels each detected
word with the ground-truth word whose box it matches one to one (IoU ≥ `MATCH_IOU`, greedy by IoU:
`evaluation.metrics.matched_pairs`). Truth word boxes are `evaluation.perfect.perfect_reading`'s,
carried through the photo's recorded geometry on a photo set. A SROIE word's box is its share of
the phrase box, an approximation, so a match also needs the word's length to fit its detected
box (`fits_width`): a detection holding half a word or two words is left out, not mislabelled.

Only the `train` split and its photos may be used; pages are held out as `realcrops.is_holdout` says.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from capture.geometry import capture_geometry, map_boxes
from capture.params import CaptureParams
from evaluation.dataset import BenchmarkRecord, load_set
from evaluation.metrics import matched_pairs
from evaluation.normalize import uppercase_categories
from evaluation.perfect import perfect_reading
from inhouse.engine import InhouseEngine
from inhouse.recognizer.charset import in_charset, normalize_text
from training.realcrops import TRAIN_SPLIT, Crop, CropConfig, is_holdout

#: a detected word and a truth word match at this IoU or more
MATCH_IOU = 0.5
#: a word of n characters fits a detected box between these widths, in the line's text heights per character
MIN_CHAR_WIDTH, MAX_CHAR_WIDTH = 0.35, 1.1


def fits_width(text: str, width: float, text_height: float) -> bool:
    """Whether `text` could fill a detected box `width` pixels wide on a line of that text height."""
    if text_height <= 0:
        return True
    per_char = width / (len(text) * text_height)
    return MIN_CHAR_WIDTH <= per_char <= MAX_CHAR_WIDTH


def _truth_words(record: BenchmarkRecord, source: BenchmarkRecord | None, capture: dict | None) -> list:
    """The record's ground-truth words with their boxes on its own image."""
    if source is None or capture is None:
        return list(perfect_reading(record).words)
    step = capture_geometry((source.width or 0, source.height or 0), CaptureParams.from_dict(capture["params"]))
    return list(perfect_reading(source, functools.partial(map_boxes, step=step), step.dst_size).words)


def detected_crops(
    split: Path = TRAIN_SPLIT,
    holdout: bool | None = None,
    engine: InhouseEngine | None = None,
) -> list[Crop]:
    """The engine's crops of the words it finds on `split`'s pages (a page set, or a photo set whose
    `photoset.json` names its source), each labelled by its matched truth word; holdout as in `cut_crops`."""
    engine = engine or InhouseEngine()
    pages = load_set(split)
    upper = uppercase_categories((r.category, r.text) for r in pages.records)
    photoset = split / "photoset.json"
    sources: dict[str, BenchmarkRecord] = {}
    captures: dict[str, dict] = {}
    if photoset.is_file():
        sources = {r.id: r for r in load_set(json.loads(photoset.read_text(encoding="utf-8"))["source"]).records}
        for line in (split / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                raw = json.loads(line)
                captures[raw["id"]] = raw["capture"]
    crops: list[Crop] = []
    for record in pages.records:
        if holdout is not None and is_holdout(record.id, CropConfig.holdout_fraction) != holdout:
            continue
        truth = _truth_words(record, sources.get(record.id), captures.get(record.id))
        detection, images = engine.word_crops(record.image)
        chopped = {w.chop_group for w in detection.words if w.chop_part}
        for t, d in matched_pairs([w.bbox for w in truth], [w.bbox for w in detection.words], MATCH_IOU):
            text, word = normalize_text(truth[t].text), detection.words[d]
            if word.chop_group in chopped or not text or not in_charset(text):
                continue
            if not fits_width(text, word.bbox.width, detection.text_height):
                continue
            crops.append(Crop(images[d], text, record.category, record.id, record.category in upper))
    return crops
