"""Confidence calibration: raw CTC path probability -> probability that the word is exactly right.

A softmax temperature is chosen first (it sharpens/flattens every step), then an isotonic
(monotone, pool-adjacent-violators) map is fitted on held-out real crops of the `train` split.
The reliability curve before and after is stored next to the weights.
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
    report: dict = field(default_factory=dict)

    def confidence(self, raw: float) -> float:
        if not self.xs:
            return float(raw)
        return float(np.interp(raw, self.xs, self.ys))

    @classmethod
    def load(cls, path: Path) -> "Calibration":
        """Identity calibration when no file was fitted yet."""
        return cls(**json.loads(path.read_text())) if path.exists() else cls()

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))


def isotonic_fit(x: np.ndarray, y: np.ndarray, max_points: int = 64) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators regression of y on x, returned as monotone breakpoints."""
    order = np.argsort(x)
    xs, ys = x[order].astype(float), y[order].astype(float)
    blocks: list[list[float]] = []  # [sum_y, count, x_min, x_max]
    for xv, yv in zip(xs, ys):
        blocks.append([yv, 1.0, xv, xv])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            s, c, lo, hi = blocks.pop()
            blocks[-1][0] += s
            blocks[-1][1] += c
            blocks[-1][3] = hi
    px = [(b[2] + b[3]) / 2 for b in blocks]
    py = [b[0] / b[1] for b in blocks]
    if len(px) > max_points:
        idx = np.linspace(0, len(px) - 1, max_points).round().astype(int)
        px, py = [px[i] for i in idx], [py[i] for i in idx]
    return [0.0] + px + [1.0], [py[0]] + py + [py[-1]]


def reliability(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> dict:
    """Reliability curve (per confidence bin: mean confidence, accuracy, count) and expected calibration error."""
    edges = np.linspace(0, 1, bins + 1)
    curve, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (conf >= lo) & ((conf < hi) | (hi == 1.0))
        if m.any():
            curve.append({"bin": [round(lo, 2), round(hi, 2)], "confidence": float(conf[m].mean()),
                          "accuracy": float(correct[m].mean()), "count": int(m.sum())})
            ece += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return {"curve": curve, "ece": float(ece), "n": int(len(conf))}


def fit_calibration(logits: list[tuple[np.ndarray, int]], correct_fn, temperatures=(0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0)) -> Calibration:
    """`correct_fn(text) -> bool` per sample; picks the temperature with the lowest NLL of correctness."""
    from inhouse.recognizer.ctc import greedy_decode

    best = None
    for t in temperatures:
        decoded = [greedy_decode(lg, s, t) for lg, s in logits]
        conf = np.clip(np.array([c for _, c in decoded]), 1e-6, 1 - 1e-6)
        correct = np.array([correct_fn(i, text) for i, (text, _) in enumerate(decoded)], dtype=float)
        nll = float(-np.mean(correct * np.log(conf) + (1 - correct) * np.log(1 - conf)))
        if best is None or nll < best[0]:
            best = (nll, t, conf, correct)
    _, t, conf, correct = best
    xs, ys = isotonic_fit(conf, correct)
    cal = Calibration(temperature=t, xs=xs, ys=ys)
    calibrated = np.array([cal.confidence(c) for c in conf])
    cal.report = {"temperature": t, "before": reliability(conf, correct), "after": reliability(calibrated, correct),
                  "accuracy": float(correct.mean())}
    return cal
