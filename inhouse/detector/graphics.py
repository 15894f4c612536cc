"""Graphics regions: plots and drawings, whose markers and curves MSER would read as text.

Ink that remains once long straight lines are removed (so table grids and form rules vanish) and
still forms a component far larger than text in both directions is a drawing: a plotted curve,
a diagram, a photo. Words whose centre lies inside such a component's box are not page text.
"""

from __future__ import annotations

import cv2
import numpy as np

from inhouse.detector.config import DetectorConfig


def graphics_boxes(work: np.ndarray, text_height: float, config: DetectorConfig) -> np.ndarray:
    """Boxes [x0, y0, x1, y1] of drawings on the working-scale page (empty when there are none)."""
    _, ink = cv2.threshold(work, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if ink.mean() > 127:  # light text on a dark page: ink is the light part
        ink = 255 - ink
    reach = max(3, int(config.graphics_line_ratio * text_height))
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, 1)))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, reach)))
    lines = cv2.bitwise_xor(across, down)  # thin rules and grid lines; solid areas survive both openings
    count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.subtract(ink, lines), connectivity=8)
    x, y, w, h = stats[1:count, 0], stats[1:count, 1], stats[1:count, 2], stats[1:count, 3]
    size = config.graphics_min_size_ratio * text_height
    big = (w >= size) & (h >= size)
    return np.stack([x, y, x + w, y + h], axis=1)[big].astype(np.int64)


def inside_graphics(members: np.ndarray, boxes: np.ndarray) -> bool:
    """Whether the centre of a word (its components' union) lies inside a drawing's box."""
    if not len(boxes):
        return False
    cx = (members[:, 0].min() + members[:, 2].max()) / 2
    cy = (members[:, 1].min() + members[:, 3].max()) / 2
    return bool(np.any((boxes[:, 0] <= cx) & (cx <= boxes[:, 2]) & (boxes[:, 1] <= cy) & (cy <= boxes[:, 3])))
