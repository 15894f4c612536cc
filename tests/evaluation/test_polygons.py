"""Line outlines in scoring: the clipped area on hand-computed shapes, and a read word on a sloping
photo line is scored against that line, not the neighbour whose box takes it in."""

from __future__ import annotations

import pytest

from engines.result import BBox, Word
from evaluation.dataset import TextBox
from evaluation.polygons import area_inside
from evaluation.scoring import aligned_counts, line_overlap

SQUARE = ((0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0))
DIAMOND = ((5.0, 0.0), (10.0, 5.0), (5.0, 10.0), (0.0, 5.0))  # area 50
ELL = ((0.0, 0.0), (10.0, 0.0), (10.0, 2.0), (2.0, 2.0), (2.0, 10.0), (0.0, 10.0))  # not convex, area 36


@pytest.mark.parametrize("polygon, box, area", [
    (SQUARE, BBox(0, 0, 10, 10), 100.0),   # the box itself
    (SQUARE, BBox(5, 5, 20, 20), 25.0),    # a corner
    (SQUARE, BBox(-5, -5, 30, 30), 100.0),  # inside a larger box
    (SQUARE, BBox(2, 2, 4, 4), 4.0),       # a box inside the polygon
    (SQUARE, BBox(20, 0, 30, 10), 0.0),    # apart
    (DIAMOND, BBox(0, 0, 10, 10), 50.0),
    (DIAMOND, BBox(0, 0, 5, 5), 12.5),     # one quarter
    (DIAMOND, BBox(0, 0, 2, 2), 0.0),      # the corner the diamond leaves out
    (ELL, BBox(0, 0, 10, 10), 36.0),
    (ELL, BBox(3, 3, 10, 10), 0.0),        # the notch of a non-convex polygon
    (ELL, BBox(0, 0, 10, 1), 10.0),
])
def test_area_inside(polygon, box, area):
    assert area_inside(polygon, box) == pytest.approx(area)


def _sloping_line(text: str, left_y: float, slope: float, height: float = 10.0) -> TextBox:
    """A 400-px line that rises `slope` px per px to the right, with its outline and its bounds."""
    top = [(0.0, left_y), (400.0, left_y - 400 * slope)]
    polygon = (top[0], top[1], (400.0, top[1][1] + height), (0.0, left_y + height))
    ys = [y for _, y in polygon]
    return TextBox(BBox(0, int(min(ys)), 400, int(max(ys)) + 1), text, polygon)


def test_a_word_is_scored_against_the_line_its_outline_shows():
    # two 10-px lines 12 px apart rising 2 degrees (14 px over their length), as on a receipt photo:
    # the upper line's box takes in the lower line's right end, so by boxes alone its last word
    # overlaps both lines' boxes alike and lands on the upper line
    upper, lower = _sloping_line("alpha beta", 20, 0.035), _sloping_line("gamma delta", 32, 0.035)
    reader = [Word("alpha", BBox(0, 19, 60, 31), 1.0), Word("beta", BBox(360, 6, 400, 18), 1.0),
              Word("gamma", BBox(0, 31, 60, 43), 1.0), Word("delta", BBox(360, 18, 400, 30), 1.0)]
    counts, pairs = aligned_counts([upper, lower], reader, fold_case=False)
    assert pairs == [("alpha beta", "alpha beta"), ("gamma delta", "gamma delta")]
    assert counts.errors == 0
    assert line_overlap(lower, reader[3].bbox) > 10 * line_overlap(upper, reader[3].bbox)
    # what the boxes alone say
    bare = [TextBox(line.bbox, line.text) for line in (upper, lower)]
    counts, pairs = aligned_counts(bare, reader, fold_case=False)
    assert pairs == [("alpha beta", "alpha beta delta"), ("gamma delta", "gamma")] and counts.errors == 12
