"""The in-house engine's aligned CER under detector settings or recognizer models other than the
shipped ones, on the same pages in one run: how a `DetectorConfig` number or a fine-tuned model is
chosen (on train and its photos, never dev).

    .venv/bin/python benchmarks/inhouse_ab.py --set ../shared/benchmarks/train --set var/sets/photos-train \
        --limit 40 --variant mser_min_area=6 --variant mser_min_area=4 [--out NAME]
    .venv/bin/python benchmarks/inhouse_ab.py --set ../shared/benchmarks/train --set var/sets/photos-train \
        --holdout --limit 1000 --model ft=var/train/ft [--out NAME]
    .venv/bin/python benchmarks/inhouse_ab.py --set ../shared/benchmarks/train --set var/sets/photos-train \
        --holdout --limit 1000 --first-look [--out NAME]

Each page is read once per variant (the shipped engine first, as "shipped"): `--variant` changes
detector fields, `--model NAME=DIR` reads with the model in DIR (its int8 copy and calibration, as
serving would). `--first-look` reads with the recognizer's first look alone (no second look at doubtful crops,
`inhouse/recognizer/second_look.py`). `--holdout` takes only the pages that fine-tuning holds out (`training.realcrops.
is_holdout`), the only fair pages for a model fine-tuned on train. The summary gives aligned CER per
category and variant, and the paired difference per page against the shipped engine (pages better /
worse). Writes benchmarks/results/inhouse_ab_<NAME>.json (detector_ab_<NAME>.json before it compared
models too, as benchmarks/detector_ab.py).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.options import RecognizeOptions  # noqa: E402
from evaluation.dataset import sample  # noqa: E402
from evaluation.scoring import score_page  # noqa: E402
from inhouse.detector import DetectorConfig  # noqa: E402
from inhouse.engine import InhouseEngine  # noqa: E402
from inhouse.recognizer.predictor import PredictorConfig  # noqa: E402
from kernel.provenance import machine  # noqa: E402
from training.realcrops import CropConfig, is_holdout  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def variant(spec: str) -> tuple[str, DetectorConfig]:
    """`name=value[,name=value]` → (spec, the shipped config with those fields replaced)."""
    shipped = DetectorConfig()
    changes = {}
    for part in spec.split(","):
        name, _, value = part.partition("=")
        if not hasattr(shipped, name):
            raise SystemExit(f"DetectorConfig has no field {name!r}")
        kind = type(getattr(shipped, name))
        try:
            changes[name] = value.lower() in ("1", "true", "yes") if kind is bool else kind(value)
        except ValueError:
            raise SystemExit(f"{name} takes a {kind.__name__}, got {value!r}") from None
    return spec, dataclasses.replace(shipped, **changes)


def pages(sets: list[str], limit: int, holdout: bool) -> list:
    """(record, fold) of the first `limit` pages per category of each set (held-out pages only with `holdout`)."""
    chosen, taken = [], Counter()
    for name, record, fold in sample(sets, 10**9):
        if holdout and not is_holdout(record.id, CropConfig.holdout_fraction):
            continue
        if taken[name, record.category] < limit:
            taken[name, record.category] += 1
            chosen.append((record, fold))
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", required=True, help="page set folder (repeatable)")
    parser.add_argument("--limit", type=int, default=40, help="pages per category of each set")
    parser.add_argument("--holdout", action="store_true", help="only pages held out from fine-tuning")
    parser.add_argument("--variant", action="append", default=[], help="name=value[,name=value]")
    parser.add_argument("--model", action="append", default=[], help="NAME=DIR: a recognizer model directory")
    parser.add_argument("--first-look", action="store_true", help="also read without the second look")
    parser.add_argument("--out", default="latest")
    args = parser.parse_args()
    shipped = InhouseEngine()
    variants = [("shipped", shipped)]
    for spec in args.variant:
        name, config = variant(spec)
        variants.append((name, InhouseEngine(detector=config)))
    for spec in args.model:
        name, _, folder = spec.partition("=")
        variants.append((name, InhouseEngine(model_dir=Path(folder))))
    if args.first_look:
        variants.append(("first_look", InhouseEngine(predictor=PredictorConfig(second_look=None))))
    if len(variants) == 1:
        raise SystemExit("nothing to compare: give --variant, --model or --first-look")
    rows = []
    for record, fold in pages(args.set, args.limit, args.holdout):
        row = {"id": record.id, "category": record.category, "errors": {}, "chars": 0}
        for name, engine in variants:
            aligned = score_page(record, engine.recognize(record.image, RecognizeOptions()), fold).aligned
            row["errors"][name], row["chars"] = aligned.errors, aligned.reference_length
        rows.append(row)
        print(record.id, row["errors"], flush=True)
    summary: dict[str, dict] = defaultdict(dict)
    for category in sorted({r["category"] for r in rows}) + ["all"]:
        mine = [r for r in rows if category in ("all", r["category"])]
        chars = max(1, sum(r["chars"] for r in mine))
        for name, _ in variants:
            summary[category][name] = {
                "aligned_cer": round(sum(r["errors"][name] for r in mine) / chars, 5),
                "pages_better": sum(r["errors"][name] < r["errors"]["shipped"] for r in mine),
                "pages_worse": sum(r["errors"][name] > r["errors"]["shipped"] for r in mine),
            }
    result = {
        "command": "benchmarks/inhouse_ab.py " + " ".join(sys.argv[1:]),
        "machine": machine(),  # the same code reads differently on another processor: compare within one machine
        "summary": summary,
        "pages": rows,
    }
    (RESULTS / f"inhouse_ab_{args.out}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
