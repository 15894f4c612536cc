"""`python -m inhouse.recognizer.validate --model DIR [DIR ...]`: compare models without touching dev.

Scores each model on the held-out pages of the `train` split (receipts, forms) and on held-out
synthetic typeset words (the stand-in for papers, which the train split lacks), so a choice
between checkpoints never looks at the evaluation sets.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from inhouse.recognizer.metrics import word_correct
from inhouse.recognizer.predictor import PredictorConfig, WordRecognizer
from inhouse.recognizer.realcrops import cut_crops
from inhouse.synth.generator import SynthConfig, SynthGenerator

HELD_OUT_SYNTH_SEED = 999_999  # no training run uses this seed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, nargs="+", required=True)
    ap.add_argument("--typeset", type=int, default=1000)
    args = ap.parse_args(argv)
    crops = cut_crops(holdout=True)
    gen = SynthGenerator(SynthConfig(seed=HELD_OUT_SYNTH_SEED, typeset_prob=1.0, negative_prob=0.0))
    typeset = [gen.sample(i) for i in range(args.typeset)]
    for model_dir in args.model:
        rec = WordRecognizer.load(model_dir, PredictorConfig())
        out: dict[str, list[int]] = {}
        for c, (pred, _) in zip(crops, rec.recognize_batch([c.image for c in crops])):
            out.setdefault(c.category, []).append(word_correct(pred, c.text, c.category))
        preds = rec.recognize_batch([img for img, _ in typeset])
        out["synthetic_typeset"] = [p == t for (p, _), (_, t) in zip(preds, typeset)]
        print(json.dumps({"model": str(model_dir), **{k: round(sum(v) / len(v), 4) for k, v in out.items()}}), flush=True)


if __name__ == "__main__":
    main()
