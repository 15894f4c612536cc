"""`python -m inhouse.recognizer.calibrate --model DIR`: fit confidence calibration on held-out real crops.

Uses the pages of the `train` split that fine-tuning held out (never dev); writes DIR/calibration.json
with the temperature, the isotonic map and the reliability curve before and after.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from inhouse.recognizer.calibration import fit_calibration
from inhouse.recognizer.metrics import word_correct
from inhouse.recognizer.predictor import CALIBRATION_FILE, WordRecognizer
from inhouse.recognizer.realcrops import cut_crops


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, required=True)
    args = ap.parse_args(argv)
    crops = cut_crops(holdout=True)
    rec = WordRecognizer.load(args.model)
    logits = rec.logits([c.image for c in crops])
    cal = fit_calibration(logits, lambda i, text: word_correct(text, crops[i].text, crops[i].category))
    cal.save(args.model / CALIBRATION_FILE)
    print(json.dumps({"temperature": cal.temperature, "accuracy": cal.report["accuracy"],
                      "ece_before": cal.report["before"]["ece"], "ece_after": cal.report["after"]["ece"],
                      "n": cal.report["after"]["n"]}))


if __name__ == "__main__":
    main()
