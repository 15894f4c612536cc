"""String character components into lines, and lines into words.

Lines: components sorted left to right join the line whose vertical band they overlap most,
if the horizontal gap to its last member is small. A line's band is the mean top and bottom of
its last few letter-height members, not of all of them, so that it follows a baseline that
bends (a curved or crinkled page in a phone photo) instead of a straight horizontal strip;
small components (dots, commas, hyphens) may join a line but never start one. Words: within a
line, the gaps between neighbours are split into "letter gaps" and "word gaps" at the threshold
that best separates them (Otsu's method on the gaps), clamped to sane multiples of the line height.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from inhouse.detector.config import DetectorConfig

PRUNE_EVERY = 16


@dataclass
class LineBuild:
    """A line being built: its members and the letter-height band of its last `window` tall ones."""

    number: int  # creation order: ties between equally good lines go to the older one
    window: int
    members: list[int] = field(default_factory=list)
    x1: float = 0.0
    tall: int = 0
    recent: deque[tuple[float, float]] = field(default_factory=deque)
    y0: float = 0.0
    y1: float = 0.0
    height: float = 0.0

    def add(self, index: int, box, is_tall: bool) -> None:
        self.members.append(index)
        self.x1 = max(self.x1, box[2])
        if is_tall:
            self.tall += 1
            self.recent.append((box[1], box[3]))
            if len(self.recent) > self.window:
                self.recent.popleft()
            self.y0 = sum(top for top, _ in self.recent) / len(self.recent)
            self.y1 = sum(bottom for _, bottom in self.recent) / len(self.recent)
            self.height = self.y1 - self.y0


class BandIndex:
    """Open lines filed by the rows of `step` pixels that their band spans, so that a component
    is compared only with lines it could overlap, not with every open line of a tall page."""

    def __init__(self, step: float) -> None:
        self.step = max(1.0, step)
        self.rows: dict[int, dict[int, LineBuild]] = {}
        self.spans: dict[int, range] = {}

    def _span(self, y0: float, y1: float) -> range:
        return range(int(y0 // self.step), int(y1 // self.step) + 1)

    def file(self, line: LineBuild) -> None:
        span = self._span(line.y0, line.y1)
        old = self.spans.get(line.number)
        if old == span:
            return
        if old is not None:
            self.remove(line)
        self.spans[line.number] = span
        for row in span:
            self.rows.setdefault(row, {})[line.number] = line

    def remove(self, line: LineBuild) -> None:
        for row in self.spans.pop(line.number):
            del self.rows[row][line.number]

    def near(self, y0: float, y1: float) -> list[LineBuild]:
        """Every filed line whose band could overlap [y0, y1], oldest first."""
        found: dict[int, LineBuild] = {}
        for row in self._span(y0, y1):
            found.update(self.rows.get(row, {}))
        return [found[n] for n in sorted(found)]


def group_lines(boxes: np.ndarray, config: DetectorConfig, text_height: float) -> list[list[int]]:
    """Indices of `boxes` per line, each line left to right; lines top to bottom."""
    order = np.argsort(boxes[:, 0], kind="stable")
    active: list[LineBuild] = []
    done: list[LineBuild] = []
    index = BandIndex(text_height)
    small_limit = config.small_component_ratio * text_height
    reach = config.line_max_gap_ratio * config.max_component_height_ratio * text_height
    for n, i in enumerate(order):
        x0, y0, x1, y1 = boxes[i].tolist()
        h = y1 - y0
        # lines far to the left can take no more members (the gap test below refuses them too,
        # so retiring them now and then, not at every component, changes nothing but the cost)
        if len(active) > 8 and n % PRUNE_EVERY == 0:
            still = []
            for line in active:
                if x0 - line.x1 > reach:
                    done.append(line)
                    index.remove(line)
                else:
                    still.append(line)
            active = still
        best, best_overlap = None, 0.0
        for line in index.near(y0, y1):
            line_y0, line_y1, line_h = line.y0, line.y1, line.height
            overlap = min(y1, line_y1) - max(y0, line_y0)
            if overlap <= 0 or x0 - line.x1 > config.line_max_gap_ratio * max(h, line_h):
                continue
            if h < small_limit:
                ok = y0 >= line_y0 - 0.25 * line_h and y1 <= line_y1 + 0.4 * line_h
            else:
                hangs = (
                    h <= line_h
                    and x1 - x0 <= config.hang_max_width_ratio * line_h
                    and y0 >= line_y0
                    and y1 <= line_y1 + config.hang_ratio * line_h
                )
                ok = (overlap >= config.line_overlap * min(h, line_h) or hangs) and h <= 2.5 * line_h
            if ok and overlap / max(h, 1) > best_overlap:
                best, best_overlap = line, overlap / max(h, 1)
        if best is None:
            if h < small_limit:
                continue  # a lone dot or speck: not text on its own
            best = LineBuild(number=n, window=config.line_band_members)
            active.append(best)
        best.add(int(i), (x0, y0, x1, y1), h >= small_limit)
        index.file(best)
    lines = [line for line in done + active if line.tall]
    lines.sort(key=lambda line: (line.y0 + line.y1) / 2)
    return [line.members for line in lines]


def otsu_threshold(values: np.ndarray) -> float | None:
    """The cut that maximises the between-class variance of `values` (None if fewer than 2)."""
    if len(values) < 2:
        return None
    ordered = np.sort(np.asarray(values, dtype=float))
    below = np.arange(1, len(ordered))  # class sizes of every cut, low side
    sums = np.cumsum(ordered)[:-1]
    low_mean = sums / below
    high_mean = (ordered.sum() - sums) / (len(ordered) - below)
    best = int(np.argmax(below * (len(ordered) - below) * (low_mean - high_mean) ** 2))  # the first best cut
    return float((ordered[best] + ordered[best + 1]) / 2)


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
    positive = np.minimum(np.asarray([gap for gap in gaps if gap > 0], dtype=float), config.word_gap_max_ratio * height)
    threshold = otsu_threshold(positive) if len(positive) >= 3 else None
    if threshold is None:
        threshold = config.word_gap_default_ratio * height
    threshold = float(np.clip(threshold, config.word_gap_min_ratio * height, config.word_gap_max_ratio * height))
    breaks = _monospace_breaks(boxes, line, config)
    if breaks is None:
        breaks = [gap > threshold for gap in gaps]
    if config.join_spaced_marks:
        breaks = _spaced_marks_joined(boxes, line, breaks, config)
    words, current = [], [line[0]]
    for i, word_break in zip(line[1:], breaks, strict=True):
        if word_break:
            words.append(current)
            current = []
        current.append(i)
    words.append(current)
    return words


def _spaced_marks_joined(boxes: np.ndarray, line: list[int], breaks: list[bool], config: DetectorConfig) -> list[bool]:
    """`breaks` without the two around a period or comma that stands alone between word gaps.

    A decimal point printed wide ("RM51 , 30" on a receipt) has a word gap on each side; a mark at
    the end of a word has one after it at most. With `join_leading_marks`, a mark that touches
    the word after it joins the word before as well ("71 .00"): marks end words, they do not
    start them. A mark, against both its neighbours: shorter than `small_component_ratio` × the
    shorter one, its top below `spaced_mark_min_top_ratio` of their height (a hyphen or a colon's
    upper dot sits higher). Neighbours, not the line: receipts print
    totals in a larger face than the words before them."""
    members = boxes[line]
    joined = list(breaks)
    for k in range(1, len(line) - 1):
        both = breaks[k - 1] and breaks[k]
        leading = config.join_leading_marks and breaks[k - 1] and not breaks[k]
        if not (both or leading):
            continue
        _, y0, _, y1 = members[k].tolist()
        sides = members[[k - 1, k + 1]]
        heights = sides[:, 3] - sides[:, 1]
        low = bool(np.all(y0 >= sides[:, 1] + config.spaced_mark_min_top_ratio * heights))
        if low and y1 - y0 < config.small_component_ratio * heights.min():
            joined[k - 1] = joined[k] = False  # (a leading mark has no break after it anyway)
    return joined


def _monospace_breaks(boxes: np.ndarray, line: list[int], config: DetectorConfig) -> list[bool] | None:
    """Word breaks of a line set in a fixed-pitch face (code, hex digests, till rolls), or None.

    In such a face a narrow `1` sits in a cell as wide as an `M`, so the ink gaps beside it look
    like word gaps to Otsu; the centres, though, step by one pitch, and a word gap is an empty
    cell: a step of well over one pitch."""
    members = boxes[line]
    if len(line) < config.monospace_min_chars or np.median(members[:, 3] - members[:, 1]) < np.median(
        members[:, 2] - members[:, 0]
    ):
        return None  # a run of dashes or dots, not characters: its pieces must stay apart to be dropped
    centres = np.array([(boxes[i][0] + boxes[i][2]) / 2 for i in line], dtype=float)
    steps = np.diff(centres)
    pitch = float(np.median(steps))
    if pitch <= 0:
        return None
    stacked = steps < 0.3 * pitch  # a dot over its stem, the bars of `=`: the same cell
    cells = steps[~stacked]
    regular = np.abs(cells - pitch) <= config.monospace_tolerance * pitch
    if regular.mean() < config.monospace_min_regular:
        return None
    return [bool(step >= config.monospace_gap_pitches * pitch) for step in steps]
