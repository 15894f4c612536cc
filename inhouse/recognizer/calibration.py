"""Confidence calibration: raw CTC path probability -> probability that the word is exactly right.

What serving applies: a softmax temperature (it sharpens/flattens every step), then an isotonic
(monotone) map, both read from `calibration.json` next to the weights. A reading the recognizer's
second look chose (`second_look.py`) has a map of its own: the likeliest of several readings of a
doubtful crop scores higher than its chance of being right. Fitting them on held-out real crops of
the `train` split is training's job (`python -m training.calibrate`).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class Calibration:
    temperature: float = 1.0
    # isotonic map as breakpoints; empty = identity
    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)
    # isotonic map of the readings the second look chose; empty = the map above
    second_xs: list[float] = field(default_factory=list)
    second_ys: list[float] = field(default_factory=list)
    report: dict = field(default_factory=dict)

    def confidence(self, raw: float, second_look: bool = False) -> float:
        """The probability that a reading with this raw score is right (`second_look`: a reading the
        second look chose)."""
        xs, ys = (self.second_xs, self.second_ys) if second_look and self.second_xs else (self.xs, self.ys)
        if not xs:
            return float(raw)
        return float(np.interp(raw, xs, ys))

    @classmethod
    def load(cls, path: Path) -> Calibration:
        """Identity calibration when no file was fitted yet."""
        return cls(**json.loads(path.read_text())) if path.exists() else cls()

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))
