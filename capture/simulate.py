"""The whole capture: geometry (one resampling), then photometrics, then JPEG encoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from capture.geometry import Chain, capture_geometry, map_boxes
from capture.params import CaptureParams
from capture.photometric import jpeg_bytes, photometrics, to_float, to_uint8


@dataclass(frozen=True)
class Photo:
    """A simulated photo before JPEG: uint8 RGB pixels and the geometry that made them."""

    pixels: np.ndarray
    geometry: Chain

    def map_boxes(self, boxes: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """Source boxes (N, 4: x0, y0, x1, y1) as boxes on this photo."""
        return map_boxes(boxes, self.geometry)


def as_rgb(image: np.ndarray) -> np.ndarray:
    """A uint8 grey, RGB or RGBA image as RGB."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_RGBA2RGB)
    return image


def paper_colour(image: np.ndarray) -> tuple[float, float, float]:
    """The page's background (per-channel median of a sample): fills what lies outside the page."""
    sample = image[::4, ::4].reshape(-1, image.shape[2])
    r, g, b = (float(v) for v in np.median(sample, axis=0))
    return r, g, b


def render(image: np.ndarray, params: CaptureParams) -> Photo:
    """`image` (uint8 grey or RGB) through the capture's geometry and photometrics, before JPEG."""
    rgb = as_rgb(image)
    geometry = capture_geometry((rgb.shape[1], rgb.shape[0]), params)
    warped = geometry.warp(rgb, fill=paper_colour(rgb))
    return Photo(to_uint8(photometrics(to_float(warped), params)), geometry)


def simulate(
    image: np.ndarray, boxes: np.ndarray | Sequence[Sequence[float]], params: CaptureParams
) -> tuple[bytes, np.ndarray]:
    """The photo of `image` as the scanner app's JPEG bytes, and `boxes` (N, 4) mapped onto it."""
    photo = render(image, params)
    return jpeg_bytes(photo.pixels, params.jpeg_quality), photo.map_boxes(boxes)
