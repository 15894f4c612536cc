"""The Wordinator: one tight box per word.

A detection may hold part of a long word (chopped to fit the recognizer) or several words (the
detector missed a space, the recognizer read one). Pieces of a chopped detection are re-joined;
a reading with spaces is split into words, each given the span of the detection's character
boxes between the widest gaps (or, without usable gaps, a span in proportion to characters).
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from engines.result import BBox
from inhouse.detector import WordBox
from inhouse.postprocess.buckets import ReadWord


def rejoin(
    detections: list[WordBox],
    readings: list[tuple[str, float]],
    faint_min_confidence: float = 0.0,
    faint_min_chars: int = 1,
) -> list[ReadWord]:
    """One ReadWord per detection group (chopped pieces concatenated). A word that only the detector's
    faint pass found is left out unless read with at least `faint_min_confidence` and as
    `faint_min_chars` characters or more; kept, it joins the line beside it."""
    groups: dict[int, list[tuple[WordBox, tuple[str, float]]]] = defaultdict(list)
    for detection, reading in zip(detections, readings, strict=True):
        groups[detection.chop_group].append((detection, reading))
    joined = []
    for parts in groups.values():
        parts.sort(key=lambda part: part[0].chop_part)
        text = "".join(reading[0] for _, reading in parts)
        confidence = float(np.prod([reading[1] for _, reading in parts]))
        first = parts[0][0]
        if first.faint and (confidence < faint_min_confidence or len(text) < faint_min_chars):
            continue
        boxes = [box for detection, _ in parts for box in detection.char_boxes]
        line = first.line if first.beside is None else first.beside
        joined.append(ReadWord(text, confidence, BBox.union([d.bbox for d, _ in parts]), line, boxes))
    return joined


def _proportional(box: BBox, tokens: list[str], text: str) -> list[BBox]:
    spans, start, n = [], 0, max(1, len(text))
    for token in tokens:
        begin = text.index(token, start)
        end = begin + len(token)
        spans.append(
            BBox(
                box.x0 + round(box.width * begin / n),
                box.y0,
                max(box.x0 + round(box.width * end / n), box.x0 + round(box.width * begin / n) + 1),
                box.y1,
            )
        )
        start = end
    return spans


def split_words(word: ReadWord) -> list[ReadWord]:
    """`word` as one ReadWord per space-separated token, each with its own tight box."""
    tokens = word.text.split()
    if len(tokens) <= 1:
        return [ReadWord(word.text.strip(), word.confidence, word.bbox, word.line, word.char_boxes)] if tokens else []
    chars = sorted(word.char_boxes, key=lambda b: b.x0)
    if len(chars) >= len(tokens):
        right = np.maximum.accumulate([b.x1 for b in chars])
        gaps = np.array([chars[i + 1].x0 - right[i] for i in range(len(chars) - 1)])
        cuts = sorted(np.argsort(-gaps)[: len(tokens) - 1] + 1)
        if len(cuts) == len(tokens) - 1 and all(gaps[c - 1] > 0 for c in cuts):
            pieces = np.split(np.arange(len(chars)), cuts)
            boxes = [BBox.union([chars[i] for i in piece]) for piece in pieces]
            return [
                ReadWord(t, word.confidence, b, word.line, [chars[i] for i in piece])
                for t, b, piece in zip(tokens, boxes, pieces, strict=True)
            ]
    return [
        ReadWord(t, word.confidence, b, word.line)
        for t, b in zip(tokens, _proportional(word.bbox, tokens, word.text.strip()), strict=True)
    ]
