"""String character components into lines, and lines into words.

Lines: components sorted left to right join the line whose vertical band they overlap most,
if the horizontal gap to its last member is small; small components (dots, commas, hyphens)
may join a line but never start one. Words: within a line, the gaps between neighbours are
split into "letter gaps" and "word gaps" at the threshold that best separates them (Otsu's
method on the gaps), clamped to sane multiples of the line height.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inhouse.detector.config import DetectorConfig


@dataclass
class LineBuild:
    members: list[int] = field(default_factory=list)
    y0: float = 0.0
    y1: float = 0.0
    x1: float = 0.0
    heights: list[float] = field(default_factory=list)

    @property
    def height(self) -> float:
        return float(np.median(self.heights)) if self.heights else self.y1 - self.y0


def group_lines(boxes: np.ndarray, config: DetectorConfig, text_height: float) -> list[list[int]]:
    """Indices of `boxes` per line, each line left to right; lines top to bottom."""
    order = np.argsort(boxes[:, 0], kind="stable")
    lines: list[LineBuild] = []
    small_limit = config.small_component_ratio * text_height
    for i in order:
        x0, y0, x1, y1 = boxes[i]
        h = y1 - y0
        best, best_overlap = None, 0.0
        for line in lines:
            overlap = min(y1, line.y1) - max(y0, line.y0)
            gap = x0 - line.x1
            size = max(h, line.height)
            if overlap <= 0 or gap > config.line_max_gap_ratio * size:
                continue
            if h < small_limit:
                ok = y0 >= line.y0 - 0.25 * line.height and y1 <= line.y1 + 0.4 * line.height
            else:
                ok = overlap >= config.line_overlap * min(h, line.height) and h <= 2.5 * line.height
            if ok and overlap / max(h, 1) > best_overlap:
                best, best_overlap = line, overlap / max(h, 1)
        if best is None:
            if h < small_limit:
                continue  # a lone dot or speck: not text on its own
            best = LineBuild(y0=y0, y1=y1, x1=x1)
            lines.append(best)
        best.members.append(int(i))
        best.x1 = max(best.x1, x1)
        if h >= small_limit:
            best.heights.append(h)
            best.y0 = float(np.median([boxes[m][1] for m in best.members if boxes[m][3] - boxes[m][1] >= small_limit]))
            best.y1 = float(np.median([boxes[m][3] for m in best.members if boxes[m][3] - boxes[m][1] >= small_limit]))
    lines = [line for line in lines if line.heights]
    lines.sort(key=lambda line: (line.y0 + line.y1) / 2)
    return [line.members for line in lines]


def otsu_threshold(values: np.ndarray) -> float | None:
    """The cut that maximises the between-class variance of `values` (None if fewer than 2)."""
    if len(values) < 2:
        return None
    ordered = np.sort(values)
    best, best_score = None, -1.0
    for k in range(1, len(ordered)):
        low, high = ordered[:k], ordered[k:]
        score = len(low) * len(high) * (low.mean() - high.mean()) ** 2
        if score > best_score:
            best, best_score = (ordered[k - 1] + ordered[k]) / 2, score
    return float(best)


def split_words(boxes: np.ndarray, line: list[int], config: DetectorConfig) -> list[list[int]]:
    """The line's members split into words at word gaps."""
    if len(line) <= 1:
        return [line]
    heights = [boxes[i][3] - boxes[i][1] for i in line]
    height = float(np.median(heights))
    gaps, right = [], boxes[line[0]][2]
    for i in line[1:]:
        gaps.append(boxes[i][0] - right)
        right = max(right, boxes[i][2])
    # overlaps say nothing about spacing; column-sized gaps would pull the cut too high
    positive = np.minimum(np.asarray([gap for gap in gaps if gap > 0], dtype=float),
                          config.word_gap_max_ratio * height)
    threshold = otsu_threshold(positive) if len(positive) >= 3 else None
    if threshold is None:
        threshold = config.word_gap_default_ratio * height
    threshold = float(np.clip(threshold, config.word_gap_min_ratio * height, config.word_gap_max_ratio * height))
    words, current = [], [line[0]]
    for i, gap in zip(line[1:], gaps):
        if gap > threshold:
            words.append(current)
            current = []
        current.append(i)
    words.append(current)
    return words
