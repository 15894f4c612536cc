"""The in-house engine's aligned CER under detector settings other than the shipped ones, on the
same pages in one run: how a `DetectorConfig` number is chosen (on train and its photos, never dev).

    .venv/bin/python benchmarks/detector_ab.py --set ../shared/benchmarks/train --set var/sets/photos-train \
        --limit 40 --variant mser_min_area=6 --variant mser_min_area=4 [--out NAME]

Each page is read once per variant (the shipped config first, as "shipped"); the summary gives
aligned CER per category and variant, and the paired difference per page against the shipped
config (pages better / worse). Writes benchmarks/results/detector_ab_<NAME>.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.options import RecognizeOptions  # noqa: E402
from engines.registry import get_engine  # noqa: E402
from evaluation.dataset import sample  # noqa: E402
from evaluation.scoring import score_page  # noqa: E402
from inhouse.detector import DetectorConfig  # noqa: E402

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", action="append", required=True, help="page set folder (repeatable)")
    parser.add_argument("--limit", type=int, default=40, help="pages per category of each set")
    parser.add_argument("--variant", action="append", required=True, help="name=value[,name=value]")
    parser.add_argument("--out", default="latest")
    args = parser.parse_args()
    engine = get_engine("inhouse")
    shipped = engine.detector
    variants = [("shipped", shipped), *(variant(spec) for spec in args.variant)]
    rows = []
    try:
        for _, record, fold in sample(args.set, args.limit):
            row = {"id": record.id, "category": record.category, "errors": {}, "chars": 0}
            for name, config in variants:
                engine.detector = config
                aligned = score_page(record, engine.recognize(record.image, RecognizeOptions()), fold).aligned
                row["errors"][name], row["chars"] = aligned.errors, aligned.reference_length
            rows.append(row)
            print(record.id, row["errors"], flush=True)
    finally:
        engine.detector = shipped
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
    result = {"command": "benchmarks/detector_ab.py " + " ".join(sys.argv[1:]), "summary": summary, "pages": rows}
    (RESULTS / f"detector_ab_{args.out}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
