"""How much of a polygon lies inside an axis-aligned box: the polygon clipped by the box's four
sides (Sutherland–Hodgman; the box is convex, so any simple polygon clips correctly), then its
area by the shoelace formula. Scoring uses it to measure how much of a ground-truth line's true
outline (a line on a rotated or curved photo) a read word's box covers."""

from __future__ import annotations

from collections.abc import Sequence

from engines.result import BBox

Point = tuple[float, float]


def _clip(points: list[Point], axis: int, bound: float, below: bool) -> list[Point]:
    """`points` (a closed polygon) cut by the line coordinate[axis] = bound, keeping the side
    below it (`below`) or above it."""

    def inside(p: Point) -> bool:
        return p[axis] <= bound if below else p[axis] >= bound

    def crossing(p: Point, q: Point) -> Point:
        t = (bound - p[axis]) / (q[axis] - p[axis])
        return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))

    kept: list[Point] = []
    for k, q in enumerate(points):
        p = points[k - 1]
        if inside(q):
            if not inside(p):
                kept.append(crossing(p, q))
            kept.append(q)
        elif inside(p):
            kept.append(crossing(p, q))
    return kept


def area_inside(polygon: Sequence[Point], box: BBox) -> float:
    """The area of `polygon` that lies inside `box` (pixels; the box spans x0..x1, y0..y1)."""
    points = list(polygon)
    for axis, bound, below in ((0, box.x0, False), (0, box.x1, True), (1, box.y0, False), (1, box.y1, True)):
        points = _clip(points, axis, bound, below)
        if len(points) < 3:
            return 0.0
    twice = sum(points[k - 1][0] * q[1] - q[0] * points[k - 1][1] for k, q in enumerate(points))
    return abs(twice) / 2
