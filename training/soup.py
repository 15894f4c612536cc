"""`python -m training.soup --model A --model B --out DIR [--alpha 0.5]`: average two models' weights.

Two fine-tuning runs from the same ancestor tend to learn different strengths (one run leaned
towards typeset papers and lost a little on receipts); the average of their weights (a "model
soup", Wortsman et al. 2022) often keeps most of both at no inference cost. The result is a
model directory like training writes (config + weights, no calibration: run `calibrate` next)
and is judged like any checkpoint, with `validate`, never on the evaluation sets.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from inhouse.recognizer.model_files import CONFIG_FILE, WEIGHTS_FILE
from training.model import load_model


def average(first: Path, second: Path, out: Path, alpha: float = 0.5) -> None:
    """Write (1 - alpha) × first + alpha × second to `out`; both must share one architecture."""
    if (first / CONFIG_FILE).read_text() != (second / CONFIG_FILE).read_text():
        raise SystemExit(f"{first} and {second} have different model configs: their weights cannot be averaged")
    model = load_model(first)
    other = load_model(second).get_weights()
    model.set_weights([(1 - alpha) * a + alpha * b for a, b in zip(model.get_weights(), other, strict=True)])
    out.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(first / CONFIG_FILE, out / CONFIG_FILE)
    model.save_weights(str(out / WEIGHTS_FILE))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, action="append", required=True, help="model directory (twice)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--alpha", type=float, default=0.5, help="share of the second model")
    args = parser.parse_args(argv)
    if len(args.model) != 2:
        parser.error("give --model exactly twice")
    if not 0.0 <= args.alpha <= 1.0:
        parser.error("--alpha must lie in [0, 1]")
    average(args.model[0], args.model[1], args.out, args.alpha)
    print(f"wrote {args.out / WEIGHTS_FILE}")


if __name__ == "__main__":
    main()
