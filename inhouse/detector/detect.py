"""The detector end to end: page → working scale → components → lines → words → crops."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import cv2
import numpy as np

from engines.result import BBox
from inhouse.detector.config import DetectorConfig
from inhouse.detector.graphics import colour_pictures, graphics_boxes, inside_graphics
from inhouse.detector.grouping import group_lines, split_words
from inhouse.detector.regions import character_components, faint_components, page_contrast, working_scale
from inhouse.sharpen import unsharp


@dataclass
class WordBox:
    """One detection: a word (or part of an over-long one) with its character boxes.

    Boxes are in the coordinates of the page that was passed in. `chop_group`/`chop_part` say
    which pieces of a chopped detection belong together, so their readings can be re-joined.
    """

    bbox: BBox
    line: int
    char_boxes: list[BBox]
    chop_group: int
    chop_part: int = 0
    crop_box: BBox | None = None  # what the recognizer sees: `bbox` stretched to the line's height
    faint: bool = False  # found by the faint pass alone (regions.faint_components): text only if read surely
    # a faint word's reading joins this first-pass line beside it; its crop is cut on a line of its own,
    # so that it never moves the first pass's slopes and crop heights
    beside: int | None = None


@dataclass
class Detection:
    words: list[WordBox] = field(default_factory=list)
    line_count: int = 0
    scale: float = 1.0
    text_height: float = 0.0  # in page pixels
    contrast: float = 0.0  # how crisp the first pass's print is, in grey levels (regions.page_contrast)


def _union(boxes: np.ndarray) -> tuple[int, int, int, int]:
    return int(boxes[:, 0].min()), int(boxes[:, 1].min()), int(boxes[:, 2].max()), int(boxes[:, 3].max())


def _to_page(box, scale: float, width: int, height: int) -> BBox:
    x0, y0, x1, y1 = box
    return BBox(
        max(0, int(np.floor(x0 / scale))),
        max(0, int(np.floor(y0 / scale))),
        min(width, int(np.ceil(x1 / scale))),
        min(height, int(np.ceil(y1 / scale))),
    )


def _chop(members: np.ndarray, config: DetectorConfig) -> list[np.ndarray]:
    """Split an over-long word, left to right, before the first character that would make a
    piece wider than the recognizer takes; pieces are re-joined after recognition."""
    _, y0, _, y1 = _union(members)
    limit = config.max_crop_aspect * max(1, y1 - y0)
    pieces, start = [], 0
    for end in range(1, len(members)):
        if members[end, 2] - members[start, 0] > limit:
            pieces.append(members[start:end])
            start = end
    pieces.append(members[start:])
    return pieces


#: wraps each step of `detect_words` by name: benchmarks/inhouse_stages.py times them
Stage = Callable[[str], AbstractContextManager[object]]


def _untimed(_: str) -> AbstractContextManager[object]:
    return nullcontext()


def detect_words(
    gray: np.ndarray, config: DetectorConfig | None = None, rgb: np.ndarray | None = None, stage: Stage = _untimed
) -> Detection:
    """Find words on an upright grayscale page; `rgb`, the same page in colour if it has colour,
    lets words inside colour pictures be left out."""
    config = config or DetectorConfig()
    height, width = gray.shape
    with stage("scale_probe"):
        scale = working_scale(gray, config)
    with stage("resize"):
        work = (
            cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
            if scale != 1
            else gray
        )
    with stage("mser"):
        boxes = character_components(unsharp(work, 1.0, config.mser_sharpen) if config.mser_sharpen else work, config)
    detection = Detection(scale=scale)
    if not len(boxes):
        return detection
    with stage("contrast"):
        detection.contrast = page_contrast(work, boxes, config)
    with stage("grouping"):
        heights = boxes[:, 3] - boxes[:, 1]
        tall = heights[heights >= config.small_component_ratio * config.target_text_height]
        text_height = float(np.median(tall)) if len(tall) else config.target_text_height
        lines = group_lines(boxes, config, text_height)
    with stage("graphics"):
        drawings = graphics_boxes(work, text_height, config)
        if rgb is not None:
            drawings = np.concatenate([drawings, colour_pictures(rgb, work.shape, text_height, config)])
        text = _TextFilter(config, text_height, drawings)
    with stage("word_split"):
        found = text.words(boxes, lines)
    line_count = len(lines)
    # (line, members, the first-pass line beside it) of each word that only the faint pass found
    faint: list[tuple[int, np.ndarray, int | None]] = []
    with stage("faint_pass"):
        soft = faint_components(work, boxes, detection.contrast, config)
        if len(soft):
            # the faint pass only adds words: its components are strung among themselves, and a word
            # mostly on a first-pass word is the same print found again
            taken = np.array([_union(members) for _, members in found], dtype=np.int64).reshape(-1, 4)
            taken_lines = np.array([line for line, _ in found], dtype=np.int64)
            soft_lines = group_lines(soft, config, text_height)
            for line, members in text.words(soft, soft_lines):
                box = _union(members)
                if _covered(box, taken) <= config.faint_max_overlap:
                    faint.append(
                        (line_count + line, members, _line_beside(box, taken, taken_lines, config, text_height))
                    )
            line_count += len(soft_lines)
    with stage("word_split"):
        words: list[tuple[int, np.ndarray, bool, int | None]] = [
            (line, members, False, None) for line, members in found
        ]
        words += [(line, members, True, beside) for line, members, beside in faint]
        for group, (line_number, members, is_faint, beside) in enumerate(words):
            for part, piece in enumerate(_chop(members, config)):
                detection.words.append(
                    WordBox(
                        bbox=_to_page(_union(piece), scale, width, height),
                        line=line_number,
                        char_boxes=[_to_page(b, scale, width, height) for b in piece],
                        chop_group=group,
                        chop_part=part,
                        faint=is_faint,
                        beside=beside,
                    )
                )
        detection.line_count = line_count
        detection.text_height = text_height / scale
        _set_crop_boxes(detection.words, config.crop_line_window_ratio * detection.text_height)
    return detection


class _TextFilter:
    """A page's lines cut into words, less rules, words inside drawings and a figure's own labels."""

    def __init__(self, config: DetectorConfig, text_height: float, drawings: np.ndarray) -> None:
        self.config, self.text_height, self.drawings = config, text_height, drawings
        self.label_margin = config.graphics_label_margin_ratio * text_height
        sides = np.minimum(drawings[:, 2] - drawings[:, 0], drawings[:, 3] - drawings[:, 1])
        self.figures = drawings[sides >= config.figure_min_size_ratio * text_height]

    def words(self, boxes: np.ndarray, lines: list[list[int]]) -> list[tuple[int, np.ndarray]]:
        """(line number, member boxes left to right) of every word kept."""
        out = []
        for number, line in enumerate(lines):
            candidates = [
                boxes[sorted(word, key=lambda i: boxes[i][0])] for word in split_words(boxes, line, self.config)
            ]
            kept = [
                m
                for m in _without_rules(candidates, self.config, self.text_height)
                if not inside_graphics(m, self.drawings)
            ]
            if self.label_margin and kept and all(inside_graphics(m, self.figures, self.label_margin) for m in kept):
                continue  # tick labels, axis titles, a colour bar's scale: the figure's own text
            out += [(number, members) for members in kept]
        return out


def _covered(box: tuple[int, int, int, int], others: np.ndarray) -> float:
    """The largest share of `box` that any one of `others` covers."""
    if not len(others):
        return 0.0
    x0, y0, x1, y1 = box
    w = np.clip(np.minimum(others[:, 2], x1) - np.maximum(others[:, 0], x0), 0, None)
    h = np.clip(np.minimum(others[:, 3], y1) - np.maximum(others[:, 1], y0), 0, None)
    return float((w * h).max() / max(1, (x1 - x0) * (y1 - y0)))


def _line_beside(
    box: tuple[int, int, int, int], others: np.ndarray, lines: np.ndarray, config: DetectorConfig, text_height: float
) -> int | None:
    """The line of the nearest of `others` (word boxes, their `lines`) that `box` would join as a
    line joins its next component: overlapping its band enough, a line gap or less away; else None."""
    if not len(others):
        return None
    x0, y0, x1, y1 = box
    overlap = np.minimum(others[:, 3], y1) - np.maximum(others[:, 1], y0)
    smaller = np.maximum(1, np.minimum(others[:, 3] - others[:, 1], y1 - y0))
    gap = np.maximum(others[:, 0] - x1, x0 - others[:, 2])
    near = (overlap >= config.line_overlap * smaller) & (gap <= config.line_max_gap_ratio * text_height)
    if not near.any():
        return None
    return int(lines[np.flatnonzero(near)[np.argmin(gap[near])]])


def _without_rules(candidates: list[np.ndarray], config: DetectorConfig, text_height: float) -> list[np.ndarray]:
    """Drop low "words" (no component of letter height): rules, dash leaders, dotted lines.

    A lone = - — ~ between two words is kept: narrow, with a bar, and its neighbours on the line
    are letters (a run of dashes has low neighbours: a receipt's separator). A lone colon is kept
    wherever it stands: two dots, one above the other, spanning most of a letter's height
    (receipts set "TOTAL : 12.00" and end lines with "REF. :"; dropping them cost every such line
    a character).
    """

    def low(members: np.ndarray) -> bool:
        return bool((members[:, 3] - members[:, 1]).max() < config.min_word_height_ratio * text_height)

    def symbol(members: np.ndarray) -> bool:
        x0, _, x1, _ = _union(members)
        has_bar = (members[:, 2] - members[:, 0]).max() >= config.symbol_min_bar_ratio * text_height
        return bool(has_bar and x1 - x0 <= config.symbol_max_width_ratio * text_height)

    def colon(members: np.ndarray) -> bool:
        if len(members) != 2:
            return False
        upper, lower = sorted(members.tolist(), key=lambda box: box[1])
        stacked = lower[1] >= upper[3] and min(upper[2], lower[2]) > max(upper[0], lower[0])
        x0, y0, x1, y1 = _union(members)
        tall = y1 - y0 >= config.colon_min_height_ratio * text_height
        return stacked and tall and x1 - x0 <= config.colon_max_width_ratio * text_height

    lows = [low(m) for m in candidates]
    kept = []
    for k, members in enumerate(candidates):
        between_letters = 0 < k < len(candidates) - 1 and not lows[k - 1] and not lows[k + 1]
        if not lows[k] or (symbol(members) and between_letters) or colon(members):
            kept.append(members)
    return kept


def _set_crop_boxes(words: list[WordBox], window: float) -> None:
    """Stretch each word's crop to the typical top and bottom of its line nearby.

    Cut tight, "on" and "ON" (or "s" and "S") are the same picture; with the line's usual
    ascender and baseline in view the recognizer can tell x-height from cap height, as on the
    benchmark crops, whose boxes span the line. The median, not the extremes, so one tall
    neighbour (a bracket, a logo) does not pull a whole line's crops open.
    """
    by_line: dict[int, list[WordBox]] = {}
    for word in words:
        by_line.setdefault(word.line, []).append(word)
    for line in by_line.values():
        for word in line:
            near = [
                w.bbox
                for w in line
                if w is word or (w.bbox.x0 - window <= word.bbox.x1 and w.bbox.x1 + window >= word.bbox.x0)
            ]
            top, bottom = np.median([b.y0 for b in near]), np.median([b.y1 for b in near])
            word.crop_box = BBox(
                word.bbox.x0, min(word.bbox.y0, int(top)), word.bbox.x1, max(word.bbox.y1, int(np.ceil(bottom)))
            )


def word_crop(gray: np.ndarray, word: WordBox, padding: int) -> np.ndarray:
    """The recognizer's view of a detected word."""
    return crop(gray, word.crop_box or word.bbox, padding)


def crop(gray: np.ndarray, box: BBox, padding: int) -> np.ndarray:
    """The word's pixels with `padding` pixels around it (clipped to the page)."""
    h, w = gray.shape
    return gray[
        max(0, box.y0 - padding) : min(h, box.y1 + padding), max(0, box.x0 - padding) : min(w, box.x1 + padding)
    ]
