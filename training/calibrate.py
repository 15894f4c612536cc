"""`python -m training.calibrate --model DIR`: fit confidence calibration on held-out real crops.

Uses the pages of the `train` split that fine-tuning held out (never dev); writes DIR/calibration.json
with the temperature, the isotonic map and the reliability curve before and after. A softmax
temperature is chosen first (it sharpens/flattens every step), then an isotonic (monotone,
pool-adjacent-violators) map is fitted; serving applies both (`inhouse.recognizer.calibration`).
Then the readings the recognizer's second look chooses on the same crops (doubtful by the new map)
get an isotonic map of their own: the likeliest of several readings is optimistic.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from inhouse.recognizer.calibration import Calibration
from inhouse.recognizer.model_files import CALIBRATION_FILE


def isotonic_fit(x: np.ndarray, y: np.ndarray, max_points: int = 64) -> tuple[list[float], list[float]]:
    """Pool-adjacent-violators regression of y on x, returned as monotone breakpoints."""
    order = np.argsort(x)
    xs, ys = x[order].astype(float), y[order].astype(float)
    blocks: list[list[float]] = []  # [sum_y, count, x_min, x_max]
    for xv, yv in zip(xs, ys, strict=True):
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
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        m = (conf >= lo) & ((conf < hi) | (hi == 1.0))
        if m.any():
            curve.append(
                {
                    "bin": [round(lo, 2), round(hi, 2)],
                    "confidence": float(conf[m].mean()),
                    "accuracy": float(correct[m].mean()),
                    "count": int(m.sum()),
                }
            )
            ece += m.mean() * abs(conf[m].mean() - correct[m].mean())
    return {"curve": curve, "ece": float(ece), "n": int(len(conf))}


def fit_calibration(
    logits: list[tuple[np.ndarray, int]], correct_fn, temperatures=(0.5, 0.6, 0.7, 0.8, 1.0, 1.25, 1.5, 2.0)
) -> Calibration:
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
    if best is None:
        raise ValueError("fit_calibration needs at least one temperature to try")
    _, t, conf, correct = best
    xs, ys = isotonic_fit(conf, correct)
    cal = Calibration(temperature=t, xs=xs, ys=ys)
    calibrated = np.array([cal.confidence(c) for c in conf])
    cal.report = {
        "temperature": t,
        "before": reliability(conf, correct),
        "after": reliability(calibrated, correct),
        "accuracy": float(correct.mean()),
    }
    return cal


def fit_second_look(rec, images: list[np.ndarray], correct_fn) -> None:
    """Fit `rec.calibration`'s map of second-look readings on `images` (`correct_fn(i, text)`), with
    its reliability before and after in the report."""
    readings = rec.readings(images, second_look=True)
    chosen = [i for i, r in enumerate(readings) if r.looked_again]
    if not chosen:
        return
    raw = np.array([readings[i].raw for i in chosen])
    correct = np.array([correct_fn(i, readings[i].text) for i in chosen], dtype=float)
    cal = rec.calibration
    before = np.array([cal.confidence(r) for r in raw])
    cal.second_xs, cal.second_ys = isotonic_fit(raw, correct)
    after = np.array([cal.confidence(r, second_look=True) for r in raw])
    cal.report["second_look"] = {
        "before": reliability(before, correct),
        "after": reliability(after, correct),
        "accuracy": float(correct.mean()),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, required=True)
    args = ap.parse_args(argv)
    from training.metrics import word_correct
    from training.realcrops import cut_crops
    from training.runtimes import load_recognizer

    crops = cut_crops(holdout=True)
    rec = load_recognizer(args.model)
    logits = rec.logits([c.image for c in crops])

    def correct(i: int, text: str) -> bool:
        return word_correct(text, crops[i].text, crops[i].fold_case)

    cal = fit_calibration(logits, correct)
    rec.calibration = cal  # the second look's doubt is judged by the new map
    fit_second_look(rec, [c.image for c in crops], correct)
    cal.save(args.model / CALIBRATION_FILE)
    second = cal.report.get("second_look")
    print(
        json.dumps(
            {
                "temperature": cal.temperature,
                "accuracy": cal.report["accuracy"],
                "ece_before": cal.report["before"]["ece"],
                "ece_after": cal.report["after"]["ece"],
                "n": cal.report["after"]["n"],
                "second_look_ece": second and [second["before"]["ece"], second["after"]["ece"]],
            }
        )
    )


if __name__ == "__main__":
    main()
