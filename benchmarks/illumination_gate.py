"""Choosing `imaging.illumination.UNEVEN_SPREAD` on train pages and their simulated photos.

    .venv/bin/python benchmarks/illumination_gate.py --set ../shared/benchmarks/train \
        --set var/sets/photos-train --limit 20 [--engine tesseract]

The engine (in-house by default) reads each page twice, as it is and flattened (whatever its spread), and
records the page's background spread. For every candidate threshold the pages above it count
with their flattened reading, the others as they are; the chosen threshold is the one with the
fewest aligned errors over all pages whose clean pages lose no more than 0.1 point of aligned
CER against never flattening (ties: the highest threshold, which touches the fewest pages).
Never run on dev. Writes benchmarks/results/illumination_gate_<engine>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.options import RecognizeOptions  # noqa: E402
from engines.registry import get_engine  # noqa: E402
from evaluation.dataset import sample  # noqa: E402
from evaluation.scoring import score_page  # noqa: E402
from imaging import illumination, load_first_page  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
CANDIDATES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 1.01)
#: the loss on clean pages that a threshold may cost at most (aligned CER, points)
CLEAN_TOLERANCE = 0.001
AS_IS = RecognizeOptions(engine_args={"illumination": "off"})


def measure(engine_name: str, set_dirs: list[str], limit: int) -> list[dict]:
    engine = get_engine(engine_name)
    rows = []
    for _, record, fold in sample(set_dirs, limit):
        gray = load_first_page(record.image).gray()
        background = illumination.estimate_background(gray)
        as_is = score_page(record, engine.recognize(gray, AS_IS), fold).aligned
        flat = score_page(record, engine.recognize(illumination.flatten(gray, background), AS_IS), fold).aligned
        rows.append(
            {
                "id": record.id,
                "category": record.category,
                "photo": record.category.startswith("photos_"),
                "spread": round(background.spread, 4),
                "chars": as_is.reference_length,
                "errors_as_is": as_is.errors,
                "errors_flat": flat.errors,
            }
        )
        print(f"{record.id:<28} spread {background.spread:.3f}  errors {as_is.errors} → {flat.errors}", flush=True)
    return rows


def outcome(rows: list[dict], threshold: float) -> dict:
    def cer(selected: list[dict]) -> float:
        errors = sum(r["errors_flat"] if r["spread"] > threshold else r["errors_as_is"] for r in selected)
        return errors / max(1, sum(r["chars"] for r in selected))

    clean = [r for r in rows if not r["photo"]]
    photos = [r for r in rows if r["photo"]]
    return {
        "threshold": threshold,
        "aligned_cer_clean": round(cer(clean), 5),
        "aligned_cer_photos": round(cer(photos), 5),
        "aligned_cer_all": round(cer(rows), 5),
        "flattened_clean": sum(r["spread"] > threshold for r in clean),
        "flattened_photos": sum(r["spread"] > threshold for r in photos),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", required=True, dest="sets")
    parser.add_argument("--limit", type=int, default=40, help="pages per category")
    parser.add_argument("--engine", default="inhouse")
    args = parser.parse_args()
    if any("dev" in Path(s).name for s in args.sets):
        sys.exit("illumination_gate: choose on train pages, never on dev")
    rows = measure(args.engine, args.sets, args.limit)
    table = [outcome(rows, t) for t in CANDIDATES]
    never = table[-1]["aligned_cer_clean"]
    allowed = [row for row in table if row["aligned_cer_clean"] <= never + CLEAN_TOLERANCE]
    best = min(allowed, key=lambda row: (row["aligned_cer_all"], -row["threshold"]))
    for row in table:
        print(json.dumps(row))
    print(f"chosen: {best['threshold']}")
    spreads = np.array([r["spread"] for r in rows])
    (RESULTS / f"illumination_gate_{args.engine}.json").write_text(
        json.dumps(
            {
                "command": " ".join(["benchmarks/illumination_gate.py", *sys.argv[1:]]),
                "engine": args.engine,
                "version": get_engine(args.engine).version,
                "chosen": best["threshold"],
                "clean_tolerance": CLEAN_TOLERANCE,
                "table": table,
                "spread_quantiles": np.round(np.percentile(spreads, [5, 25, 50, 75, 95]), 3).tolist(),
                "pages": rows,
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
