"""Unsharp masking: steeper stroke edges for blurred print, for the detector and the recognizer alike."""

from __future__ import annotations

import cv2
import numpy as np


def unsharp(pixels: np.ndarray, sigma: float, amount: float) -> np.ndarray:
    """`pixels` + amount × (`pixels` − their Gaussian blur), in their own type (8-bit clipped)."""
    values = pixels.astype(np.float32)
    sharpened = values + amount * (values - cv2.GaussianBlur(values, (0, 0), sigma))
    if pixels.dtype == np.uint8:
        return np.clip(sharpened, 0, 255).astype(np.uint8)
    return sharpened.astype(pixels.dtype)
