"""Geometric steps of a phone capture, each able to warp an image and to map points forward exactly.

Coordinates are pixel centres (cv2's convention): pixel (i, j) covers [i − ½, i + ½] × [j − ½, j + ½].
A step maps source points to output points (`forward`) and back (`inverse`); an image is warped by
sampling the source at the inverse of every output pixel (one `cv2.remap` for a whole `Chain`). The
inverse map is computed on a coarse grid and interpolated: the steps are smooth, so this is off by
well under a hundredth of a pixel. Boxes map through `forward` (`map_boxes`), never through the grid.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from capture.params import CaptureParams, Wave

Size = tuple[int, int]  # (width, height)

#: spacing (output px) of the grid on which the inverse map is computed exactly
MAP_GRID = 8
#: fixed-point iterations that invert the mesh warp (it contracts by 0.1 or less per iteration)
INVERSE_ITERATIONS = 12
#: spacing (source px) of the points sampled along a box's edges
BOX_SAMPLE_SPACING = 2.0
#: spacing (source px) of the points of a box's outline polygon along its top and bottom edges:
#: the homographies keep edges straight, and the mesh's shortest wave (a crinkle, 7 cycles a page)
#: bends a 64-px chord by well under a pixel
OUTLINE_SPACING = 64.0


class Step:
    """One geometric step from a `src_size` image to a `dst_size` image."""

    src_size: Size
    dst_size: Size

    def forward(self, points: np.ndarray) -> np.ndarray:
        """Source points (N, 2) to output points (N, 2)."""
        raise NotImplementedError

    def inverse(self, points: np.ndarray) -> np.ndarray:
        """Output points (N, 2) to source points (N, 2)."""
        raise NotImplementedError

    @property
    def scale(self) -> float:
        """How much the step magnifies (below 1: the source is low-pass filtered before sampling)."""
        return max(self.dst_size) / max(self.src_size)

    def warp(self, image: np.ndarray, fill: Sequence[float] | float = 255) -> np.ndarray:
        """`image` seen through this step: `dst_size`, outside the source filled with `fill`."""
        return remap(image, self, fill)


class Homography(Step):
    """A projective map given by a 3×3 matrix (rotation, perspective, scaling, fitting)."""

    def __init__(self, matrix: np.ndarray, src_size: Size, dst_size: Size | None = None):
        self.matrix = np.asarray(matrix, dtype=np.float64)
        self.inverse_matrix = np.linalg.inv(self.matrix)
        self.src_size = src_size
        self.dst_size = dst_size or src_size

    @staticmethod
    def _apply(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        projected = points @ matrix[:, :2].T + matrix[:, 2]
        return projected[:, :2] / projected[:, 2:3]

    def forward(self, points: np.ndarray) -> np.ndarray:
        return self._apply(self.matrix, points)

    def inverse(self, points: np.ndarray) -> np.ndarray:
        return self._apply(self.inverse_matrix, points)


class Resample(Homography):
    """The scanner's output resolution: the page scaled so that its long side is `long_side` px."""

    def __init__(self, src_size: Size, long_side: int):
        factor = long_side / max(src_size)
        dst = (max(1, round(src_size[0] * factor)), max(1, round(src_size[1] * factor)))
        sx, sy = dst[0] / src_size[0], dst[1] / src_size[1]
        # pixel edges map to pixel edges: x' + ½ = (x + ½)·s
        matrix = [[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1]]
        super().__init__(np.array(matrix), src_size, dst)


class Rotation(Homography):
    """A small rotation about the image's centre (positive: counter-clockwise on screen)."""

    def __init__(self, size: Size, degrees: float):
        centre = ((size[0] - 1) / 2, (size[1] - 1) / 2)
        matrix = np.vstack([cv2.getRotationMatrix2D(centre, degrees, 1.0), [0, 0, 1]])
        super().__init__(matrix, size)


class Perspective(Homography):
    """Residual perspective: the corners moved by `jitter` (dx, dy per corner, shares of width/height)."""

    def __init__(self, size: Size, jitter: Sequence[float]):
        w, h = size[0] - 1, size[1] - 1
        corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        moved = corners + np.array(jitter, dtype=np.float32).reshape(4, 2) * np.array(
            [size[0], size[1]], dtype=np.float32
        )
        super().__init__(cv2.getPerspectiveTransform(corners, moved), size)


class Fit(Homography):
    """A scale about the centre and a shift that bring `bounds` (x0, y0, x1, y1) inside the frame."""

    def __init__(self, size: Size, bounds: tuple[float, float, float, float]):
        x0, y0, x1, y1 = bounds
        frame_w, frame_h = size[0], size[1]  # the frame spans [−½, w − ½]
        factor = min(1.0, frame_w / (x1 - x0), frame_h / (y1 - y0))
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        tx = (size[0] - 1) / 2 - cx * factor
        ty = (size[1] - 1) / 2 - cy * factor
        super().__init__(np.array([[factor, 0, tx], [0, factor, ty], [0, 0, 1]]), size)


@dataclass(frozen=True)
class MeshField:
    """A smooth displacement field, in shares of page size: a bow per axis plus sinusoidal waves."""

    bow_x: float
    bow_y: float
    waves: tuple[Wave, ...]

    def displacement(self, points: np.ndarray, size: Size) -> np.ndarray:
        w, h = size
        page = math.sqrt(w * h)
        u, v = points[:, 0] / w, points[:, 1] / h
        dx = self.bow_x * (1 - (2 * v - 1) ** 2)
        dy = self.bow_y * (1 - (2 * u - 1) ** 2)
        for amplitude, direction, fu, fv, phase in self.waves:
            wave = amplitude * np.sin(2 * math.pi * (fu * u + fv * v) + phase)
            dx = dx + math.cos(direction) * wave
            dy = dy + math.sin(direction) * wave
        return np.stack([dx, dy], axis=1) * page


class MeshWarp(Step):
    """Residual curvature and crinkles: every point moves by a smooth field, x → x + D(x).

    The forward map is the field itself (exact); its inverse is found by fixed-point iteration
    x ← y − D(x), which converges because the field's slope stays far below 1."""

    def __init__(self, size: Size, field: MeshField):
        self.src_size = self.dst_size = size
        self.field = field

    def forward(self, points: np.ndarray) -> np.ndarray:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        return points + self.field.displacement(points, self.src_size)

    def inverse(self, points: np.ndarray) -> np.ndarray:
        target = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        guess = target.copy()
        for _ in range(INVERSE_ITERATIONS):
            guess = target - self.field.displacement(guess, self.src_size)
        return guess


class Chain(Step):
    """Steps one after the other; warping a chain resamples the image once."""

    def __init__(self, steps: Sequence[Step]):
        self.steps = list(steps)
        self.src_size = self.steps[0].src_size
        self.dst_size = self.steps[-1].dst_size

    def forward(self, points: np.ndarray) -> np.ndarray:
        for step in self.steps:
            points = step.forward(points)
        return points

    def inverse(self, points: np.ndarray) -> np.ndarray:
        for step in reversed(self.steps):
            points = step.inverse(points)
        return points

    def fitted(self) -> Chain:
        """This chain, followed by a `Fit` when the page's edges would leave the output frame."""
        w, h = self.src_size
        border = self.forward(_rectangle_outline(np.array([[-0.5, -0.5, w - 0.5, h - 0.5]]))[0])
        x0, y0 = border.min(axis=0)
        x1, y1 = border.max(axis=0)
        fw, fh = self.dst_size
        if x0 >= -0.5 and y0 >= -0.5 and x1 <= fw - 0.5 and y1 <= fh - 0.5:
            return self
        return Chain([*self.steps, Fit(self.dst_size, (float(x0), float(y0), float(x1), float(y1)))])


def capture_geometry(src_size: Size, params: CaptureParams) -> Chain:
    """The page's geometric steps: mesh warp (the page's shape), resampling to the phone's
    resolution, rotation, perspective, and a fit that keeps the whole page in the frame."""
    mesh = MeshWarp(src_size, MeshField(params.bow_x, params.bow_y, params.waves))
    resample = Resample(src_size, params.out_long_side)
    size = resample.dst_size
    return Chain(
        [mesh, resample, Rotation(size, params.rotation_deg), Perspective(size, params.corner_jitter)]
    ).fitted()


def inverse_map(step: Step) -> tuple[np.ndarray, np.ndarray]:
    """The source position of every output pixel (map_x, map_y for cv2.remap): exact on a grid of
    `MAP_GRID` px, bilinear in between."""
    width, height = step.dst_size
    xs = np.arange((width - 1) // MAP_GRID + 2) * MAP_GRID
    ys = np.arange((height - 1) // MAP_GRID + 2) * MAP_GRID
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2).astype(np.float64)
    coarse = step.inverse(grid).reshape(len(ys), len(xs), 2)
    rows = np.arange(height)
    r0, rt = rows // MAP_GRID, (rows % MAP_GRID / MAP_GRID)[:, None, None]
    by_row = coarse[r0] * (1 - rt) + coarse[r0 + 1] * rt
    cols = np.arange(width)
    c0, ct = cols // MAP_GRID, (cols % MAP_GRID / MAP_GRID)[None, :, None]
    full = by_row[:, c0] * (1 - ct) + by_row[:, c0 + 1] * ct
    return full[..., 0].astype(np.float32), full[..., 1].astype(np.float32)


def remap(image: np.ndarray, step: Step, fill: Sequence[float] | float = 255) -> np.ndarray:
    """`image` warped through `step` in one resampling; low-pass filtered first when it shrinks."""
    if step.scale < 1:
        sigma = 0.5 * math.sqrt(1 / step.scale**2 - 1)
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    map_x, map_y = inverse_map(step)
    value = tuple(float(v) for v in fill) if isinstance(fill, Sequence) else float(fill)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=value)


def _rectangle_outline(rects: np.ndarray) -> list[np.ndarray]:
    """Points every `BOX_SAMPLE_SPACING` px or closer along the edges of each (x0, y0, x1, y1), corners included."""
    outlines = []
    for x0, y0, x1, y1 in rects:
        nx = max(2, math.ceil((x1 - x0) / BOX_SAMPLE_SPACING) + 1)
        ny = max(2, math.ceil((y1 - y0) / BOX_SAMPLE_SPACING) + 1)
        xs, ys = np.linspace(x0, x1, nx), np.linspace(y0, y1, ny)
        outlines.append(
            np.concatenate(
                [
                    np.stack([xs, np.full(nx, y0)], 1),
                    np.stack([xs, np.full(nx, y1)], 1),
                    np.stack([np.full(ny, x0), ys], 1),
                    np.stack([np.full(ny, x1), ys], 1),
                ]
            )
        )
    return outlines


def map_boxes(boxes: np.ndarray | Sequence[Sequence[float]], step: Step) -> np.ndarray:
    """Boxes (N, 4: x0, y0, x1, y1, inclusive pixel indices) through `step`: the outline of the
    pixels they cover, sampled densely and mapped forward, bounded, rounded outward and clipped to
    the output image. Every output pixel whose source lies in a box lies in its mapped box."""
    rects = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if not len(rects):
        return np.zeros((0, 4), dtype=np.int64)
    outlines = _rectangle_outline(rects + np.array([-0.5, -0.5, 0.5, 0.5]))
    mapped = step.forward(np.concatenate(outlines))
    starts = np.cumsum([0, *(len(o) for o in outlines[:-1])])
    low = np.floor(np.stack([np.minimum.reduceat(mapped[:, 0], starts), np.minimum.reduceat(mapped[:, 1], starts)], 1))
    high = np.ceil(np.stack([np.maximum.reduceat(mapped[:, 0], starts), np.maximum.reduceat(mapped[:, 1], starts)], 1))
    width, height = step.dst_size
    limit = np.array([width - 1, height - 1])
    return np.concatenate([np.clip(low, 0, limit), np.clip(high, 0, limit)], axis=1).astype(np.int64)


def map_outlines(boxes: np.ndarray | Sequence[Sequence[float]], step: Step) -> list[list[list[float]]]:
    """Boxes (N, 4, as `map_boxes`) as polygons on the output: the outline of the pixels each covers,
    its top edge left to right then its bottom edge right to left, mapped forward, clipped to the
    output image and rounded to 0.1 px. On a rotated or curved page a line's polygon follows the
    line where its mapped box (the polygon's bounds) takes in much of its neighbours."""
    rects = np.asarray(boxes, dtype=np.float64).reshape(-1, 4) + np.array([-0.5, -0.5, 0.5, 0.5])
    width, height = step.dst_size
    polygons = []
    for x0, y0, x1, y1 in rects:
        xs = np.linspace(x0, x1, max(2, math.ceil((x1 - x0) / OUTLINE_SPACING) + 1))
        top, bottom = np.stack([xs, np.full(len(xs), y0)], 1), np.stack([xs[::-1], np.full(len(xs), y1)], 1)
        points = np.concatenate([top, bottom])
        mapped = np.clip(step.forward(points), -0.5, [width - 0.5, height - 0.5])
        polygons.append(np.round(mapped, 1).tolist())
    return polygons
