"""Graphics regions: plots, drawings and colour pictures, whose markers, curves and speckle MSER
would read as text.

Ink that remains once long straight lines are removed (so table grids and form rules vanish) and
still forms a component far larger than text in both directions is a drawing: a plotted curve,
a diagram, a photo. Not a drawing: ink that reaches an edge of the page (the table around a
photographed receipt, a scanner's black border). A large, densely coloured, many-hued region is a
colour picture (a heat map, a sky map). Words whose centre lies inside either kind of box are not
page text.
"""

from __future__ import annotations

import cv2
import numpy as np

from imaging import illumination
from inhouse.detector.config import DetectorConfig


def graphics_boxes(work: np.ndarray, text_height: float, config: DetectorConfig) -> np.ndarray:
    """Boxes [x0, y0, x1, y1] of drawings on the working-scale page (empty when there are none).

    On an unevenly lit page (a phone photo) a drawing must be one on the page as it is *and*, for
    at least `graphics_flat_overlap` of its box, on the page with its lighting divided out
    (`imaging.illumination`) and binarised at the same level. Otsu's one threshold takes a shadow,
    or a dim, mottled patch of paper, for one large blob of ink (whose words would be dropped),
    which the flattened page no longer has; and a fresh threshold on the flattened page would run
    blurred print together into blobs. A real drawing is ink on both.
    """
    threshold, ink = cv2.threshold(work, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    light_on_dark = bool(ink.mean() > 127)
    boxes = _large_ink(ink, light_on_dark, text_height, config)
    flat = illumination.flatten_if_uneven(work) if len(boxes) else None
    if flat is None:
        return boxes
    _, flat_ink = cv2.threshold(flat, threshold, 255, cv2.THRESH_BINARY_INV)  # the same level: only the light differs
    confirmed = np.zeros(work.shape, dtype=np.uint8)
    for x0, y0, x1, y1 in _large_ink(flat_ink, light_on_dark, text_height, config).tolist():
        confirmed[y0:y1, x0:x1] = 1  # flattening may cut one drawing into several: their union counts
    covered = [confirmed[y0:y1, x0:x1].mean() for x0, y0, x1, y1 in boxes.tolist()]
    return boxes[np.asarray(covered) >= config.graphics_flat_overlap]


def _large_ink(ink: np.ndarray, light_on_dark: bool, text_height: float, config: DetectorConfig) -> np.ndarray:
    """Boxes of the components of binarised ink (inverted on a light-on-dark page), rules and grid
    lines removed, that are far larger than text both ways and touch no edge of the page."""
    if light_on_dark:  # light text on a dark page: ink is the light part
        ink = 255 - ink
    reach = max(3, int(config.graphics_line_ratio * text_height))
    across = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (reach, 1)))
    down = cv2.morphologyEx(ink, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, reach)))
    lines = cv2.bitwise_xor(across, down)  # thin rules and grid lines; solid areas survive both openings
    count, _, stats, _ = cv2.connectedComponentsWithStats(cv2.subtract(ink, lines), connectivity=8)
    x, y, w, h = (stats[1:count, k] for k in range(4))
    size = config.graphics_min_size_ratio * text_height
    height, width = ink.shape
    edges = (x == 0).astype(int) + (y == 0) + (x + w == width) + (y + h == height)
    drawing = (w >= size) & (h >= size) & (edges == 0)
    return np.stack([x, y, x + w, y + h], axis=1)[drawing].astype(np.int64)


def colour_pictures(
    rgb: np.ndarray, work_shape: tuple[int, int], text_height: float, config: DetectorConfig
) -> np.ndarray:
    """Boxes [x0, y0, x1, y1], at the working scale of `work_shape`, of colour pictures on the
    page `rgb` (H×W×3); empty when there are none."""
    none = np.zeros((0, 4), dtype=np.int64)
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    coloured = (hsv[..., 1] >= config.picture_min_saturation) & (hsv[..., 2] >= config.picture_min_value)
    sample = coloured[::4, ::4]
    if sample.mean() < config.picture_min_page_share:
        return none
    if sample.mean() > 0.5:  # coloured paper: its hue band (and the two beside it) is background
        paper = int(np.argmax(np.bincount(hsv[::4, ::4, 0][sample] // 10, minlength=18)))
        band = hsv[..., 0] // 10
        coloured &= (band != paper) & (band != (paper + 1) % 18) & (band != (paper - 1) % 18)
    height, width = work_shape
    mask = cv2.resize(coloured.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    hue = cv2.resize(hsv[..., 0], (width, height), interpolation=cv2.INTER_NEAREST)
    side = max(3, int(round(text_height)))
    joined = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (side, side)))
    count, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    size = config.graphics_min_size_ratio * text_height
    boxes = []
    for x, y, w, h in stats[1:count, :4].tolist():
        if w < size or h < size:
            continue
        inside = mask[y : y + h, x : x + w].astype(bool)
        if inside.mean() < config.picture_min_fill:
            continue
        bands = np.bincount(hue[y : y + h, x : x + w][inside] // 10, minlength=18)  # OpenCV hue: 0-179
        if 1 - bands.max() / bands.sum() >= config.picture_min_hue_spread:
            boxes.append((x, y, x + w, y + h))
    return np.array(boxes, dtype=np.int64).reshape(-1, 4)


def inside_graphics(members: np.ndarray, boxes: np.ndarray, margin: float = 0.0) -> bool:
    """Whether the centre of a word (its components' union) lies inside a drawing's box, grown
    by `margin` pixels on every side."""
    if not len(boxes):
        return False
    cx = (members[:, 0].min() + members[:, 2].max()) / 2
    cy = (members[:, 1].min() + members[:, 3].max()) / 2
    return bool(
        np.any(
            (boxes[:, 0] - margin <= cx)
            & (cx <= boxes[:, 2] + margin)
            & (boxes[:, 1] - margin <= cy)
            & (cy <= boxes[:, 3] + margin)
        )
    )
