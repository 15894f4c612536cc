"""Orientation on the benchmark pages: false rotations of upright pages, and recovery of the
same pages turned 90/180/270 degrees.

    .venv/bin/python benchmarks/orientation_eval.py [--split dev] [--limit N]

Writes benchmarks/results/orientation_<split>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.registry import get_engine  # noqa: E402
from evaluation.dataset import load_set  # noqa: E402
from imaging import load_first_page  # noqa: E402
from inhouse.detector import detect_words  # noqa: E402
from inhouse.orientation import predict, rotate  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
#: page turned clockwise by k degrees needs (360 - k) % 360 to come back
TURNS = (0, 90, 180, 270)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=0, help="pages per category (0: all)")
    args = parser.parse_args()
    read = get_engine("inhouse").recognizer.recognize_batch
    bench = load_set(SHARED / args.split)
    seen: dict[str, int] = defaultdict(int)
    rows = []
    for record in bench.records:
        if args.limit and seen[record.category] >= args.limit:
            continue
        seen[record.category] += 1
        gray = load_first_page(record.image).gray()
        for turn in TURNS:
            started = time.perf_counter()
            page = np.ascontiguousarray(rotate(gray, turn))
            # as the engine does: the page's own detection answers the 0/180 question
            found = predict(page, read, upright=detect_words(page))
            rows.append({"id": record.id, "category": record.category, "turned": turn,
                         "expected": (360 - turn) % 360, "predicted": found.rotation,
                         "seconds": time.perf_counter() - started})
    summary = {}
    for category in sorted({r["category"] for r in rows}) + ["all"]:
        mine = [r for r in rows if category in ("all", r["category"])]
        upright = [r for r in mine if r["turned"] == 0]
        turned = [r for r in mine if r["turned"] != 0]
        summary[category] = {
            "upright_pages": len(upright),
            "false_rotations": sum(r["predicted"] != 0 for r in upright),
            "turned_pages": len(turned),
            "recovered": sum(r["predicted"] == r["expected"] for r in turned),
            "seconds_per_prediction": float(np.mean([r["seconds"] for r in mine])),
        }
        row = summary[category]
        print(f"{category:<16} upright {row['upright_pages']:<4} false rotations {row['false_rotations']:<3} "
              f"turned {row['turned_pages']:<4} recovered {row['recovered']:<4} "
              f"s/prediction {row['seconds_per_prediction']:.2f}")
    out = Path(__file__).resolve().parent / "results" / f"orientation_{args.split}.json"
    out.write_text(json.dumps({"split": args.split, "summary": summary, "pages": rows}, indent=1))


if __name__ == "__main__":
    main()
