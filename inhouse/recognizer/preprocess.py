"""Crop -> network input, shared by training and inference so the two never drift apart.

Output: float32 (HEIGHT, width) with ink = 1 and paper = 0 whatever the crop's polarity, so zero
padding on the right is blank paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


@dataclass(frozen=True)
class InputSpec:
    height: int = 32
    min_width: int = 16
    max_width: int = 512
    # the CNN divides width by this; widths are padded to a multiple of `bucket` for batching
    width_stride: int = 4
    bucket: int = 32
    contrast_percentiles: tuple[float, float] = (2.0, 98.0)


SPEC = InputSpec()


def to_gray(img: np.ndarray) -> np.ndarray:
    if img.ndim == 3:
        code = cv2.COLOR_RGBA2GRAY if img.shape[2] == 4 else cv2.COLOR_RGB2GRAY
        img = cv2.cvtColor(img, code)
    return img


def percentiles(values: np.ndarray, points: tuple[float, ...]) -> list[float]:
    """`np.percentile(values, points)` (linear interpolation), exactly, at a third of its cost:
    a page's thousands of crops each need three."""
    flat = values.ravel()
    last = flat.size - 1
    positions = [p / 100 * last for p in points]
    lows = [int(q) for q in positions]
    ordered = np.partition(flat, sorted({k for lo in lows for k in (lo, min(lo + 1, last))}))
    return [
        float(ordered[lo]) + (float(ordered[min(lo + 1, last)]) - float(ordered[lo])) * (q - lo)
        for q, lo in zip(positions, lows, strict=True)
    ]


def is_inverted(gray: np.ndarray) -> bool:
    """Light text on dark ground: the border (mostly background) is darker than the crop's middle grey."""
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]]).astype(np.float32)
    return percentiles(border, (50.0,))[0] < float(gray.mean())


def preprocess(img: np.ndarray, spec: InputSpec = SPEC) -> np.ndarray:
    """Grayscale, resize to spec.height keeping aspect (clamped width), stretch contrast, ink = 1."""
    gray = to_gray(np.asarray(img))
    if gray.size == 0:
        return np.zeros((spec.height, spec.min_width), np.float32)
    h, w = gray.shape
    new_w = min(max(round(w * spec.height / h), spec.min_width), spec.max_width)
    interp = cv2.INTER_AREA if h > spec.height else cv2.INTER_CUBIC
    x = cv2.resize(gray.astype(np.float32), (new_w, spec.height), interpolation=interp)
    lo, hi = percentiles(x, spec.contrast_percentiles)
    x = np.clip((x - lo) / max(hi - lo, 8.0), 0.0, 1.0)
    return x if is_inverted(gray) else 1.0 - x


def bucket_width(width: int, spec: InputSpec = SPEC) -> int:
    return int(min(spec.max_width, -(-width // spec.bucket) * spec.bucket))


def batch_images(images: list[np.ndarray], spec: InputSpec = SPEC) -> tuple[np.ndarray, np.ndarray]:
    """Pad preprocessed images to one width -> (N, H, W, 1) batch and per-image time steps."""
    width = bucket_width(max(im.shape[1] for im in images), spec)
    batch = np.zeros((len(images), spec.height, width, 1), np.float32)
    for i, im in enumerate(images):
        batch[i, :, : im.shape[1], 0] = im
    steps = np.array([-(-im.shape[1] // spec.width_stride) for im in images], np.int32)
    return batch, steps
