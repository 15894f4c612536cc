"""A perfect reader of a page or of its photo: the ground truth read back, each word at its share
of its segment's box (`scoring.truth_word_boxes`), optionally carried onto a photo. Whatever aligned
CER it gets is the scoring's own, not an engine's: what the scoring of photos is checked against
(`benchmarks/photo_alignment.py`, `tests/capture/test_photoset.py`)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engines.result import BBox, Block, Line, OcrResult, Page, Word
from evaluation.dataset import BenchmarkRecord
from evaluation.scoring import truth_word_boxes

#: boxes (N, 4: x0, y0, x1, y1, inclusive pixel indices) on the page → the same boxes on its photo
BoxMap = Callable[[np.ndarray], np.ndarray]


def perfect_reading(
    source: BenchmarkRecord, to_photo: BoxMap | None = None, size: tuple[int, int] | None = None
) -> OcrResult:
    """`source`'s ground truth as one line of words with exact boxes: on the page itself, or, with
    `to_photo` (e.g. `capture.geometry.map_boxes` through the photo's geometry) and the photo's
    `size` (width, height), on its photo."""
    texts = [token for segment in source.segments for token in segment.text.split(" ") if token]
    boxes = truth_word_boxes(source.segments)
    if to_photo is not None:  # a BBox's x1/y1 are exclusive, the map's boxes inclusive
        inclusive = np.array([[b.x0, b.y0, b.x1 - 1, b.y1 - 1] for b in boxes], dtype=np.float64).reshape(-1, 4)
        boxes = [BBox(int(x0), int(y0), int(x1) + 1, int(y1) + 1) for x0, y0, x1, y1 in to_photo(inclusive)]
    width, height = size or (source.width or 0, source.height or 0)
    words = [Word(text, box, 1.0) for text, box in zip(texts, boxes, strict=True)]
    return OcrResult("perfect", "1", [Page(width, height, [Block([Line(words)])])])
