"""`python -m training.validate --model DIR [DIR ...] [--runtime R ...]`: compare models
(and runtimes of one model: float against int8) without touching dev.

Scores each model on the held-out pages of the `train` split (receipts, forms), on the same
pages' photos when `--photo-set` names a photo set of train, and on held-out synthetic typeset
words (the stand-in for papers, which the train split lacks), so a choice between checkpoints
never looks at the evaluation sets. `--second-look` reads as the engine does (doubtful crops read
again, `inhouse/recognizer/second_look.py`); without it, the network's first look alone.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from training.metrics import word_correct
from training.realcrops import cut_crops
from training.runtimes import RUNTIMES, load_recognizer
from training.synth.generator import SynthConfig, SynthGenerator

HELD_OUT_SYNTH_SEED = 999_999  # no training run uses this seed


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, nargs="+", required=True)
    ap.add_argument("--typeset", type=int, default=1000)
    ap.add_argument("--runtime", nargs="+", default=["auto"], choices=RUNTIMES)
    ap.add_argument("--photo-set", type=Path, help="a photo set of train (`ocrgate sets photos`)")
    ap.add_argument("--second-look", action="store_true", help="read doubtful crops again, as the engine does")
    args = ap.parse_args(argv)
    crops = cut_crops(holdout=True) + (cut_crops(args.photo_set, holdout=True) if args.photo_set else [])
    gen = SynthGenerator(SynthConfig(seed=HELD_OUT_SYNTH_SEED, typeset_prob=1.0, negative_prob=0.0))
    typeset = [gen.sample(i) for i in range(args.typeset)]
    for model_dir, runtime in ((m, r) for m in args.model for r in args.runtime):
        rec = load_recognizer(model_dir, runtime)
        out: dict[str, list[int]] = {}
        read = rec.recognize_batch([c.image for c in crops], second_look=args.second_look)
        for c, (pred, _) in zip(crops, read, strict=True):
            out.setdefault(c.category, []).append(word_correct(pred, c.text, c.fold_case))
        preds = rec.recognize_batch([img for img, _ in typeset], second_look=args.second_look)
        out["synthetic_typeset"] = [p == t for (p, _), (_, t) in zip(preds, typeset, strict=True)]
        print(
            json.dumps(
                {
                    "model": str(model_dir),
                    "runtime": rec.runtime.name,
                    "second_look": args.second_look,
                    **{k: round(sum(v) / len(v), 4) for k, v in out.items()},
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
