"""A second look at the words the network read with little confidence.

Blur smears a word's strokes, and a crop cut a little wide or narrow gives its characters a pitch
the network saw less of in training. A crop whose first reading is less likely to be right than
`SecondLook.below` (calibrated) is read again in a few views: sharpened by unsharp masks at two
radii (against defocus and motion blur) and stretched and narrowed. The reading whose CTC path is
most likely per time step wins: per step, because a wider view has more steps and its path
probability is a product over them, so the raw products would favour the narrowest view.

Chosen on held-out train pages and their photos, never dev (`benchmarks/inhouse_ab.py --holdout
--first-look`, docs/inhouse-recognizer.md): every category read better, photo receipts most.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from inhouse.sharpen import unsharp


@dataclass(frozen=True)
class SecondLook:
    #: crops whose first reading's calibrated confidence is below this are read again
    below: float = 0.7
    #: unsharp masks as (Gaussian sigma in crop pixels, amount)
    sharpen: tuple[tuple[float, float], ...] = ((1.0, 1.0), (2.0, 0.7))
    #: width factors, the height kept
    stretch: tuple[float, ...] = (1.2, 0.85)

    def views(self, crop: np.ndarray) -> list[np.ndarray]:
        """The crop as the second look reads it, one array per view (none for an empty crop)."""
        if crop.size == 0:
            return []
        return [unsharp(crop, sigma, amount) for sigma, amount in self.sharpen] + [
            stretched(crop, factor) for factor in self.stretch
        ]


def stretched(crop: np.ndarray, factor: float) -> np.ndarray:
    """`crop` resized to `factor` × its width (at least one pixel), its height kept."""
    width = max(1, round(crop.shape[1] * factor))
    return cv2.resize(crop, (width, crop.shape[0]), interpolation=cv2.INTER_CUBIC)
