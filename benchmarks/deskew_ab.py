"""An engine's aligned CER with its pages levelled (`engine_args deskew=auto`) and as they are
(`deskew=off`), on the same pages in one run, and how well `imaging.deskew.skew_angle` finds the
slope: how an engine's `deskew` default is chosen (on train and its photos, never dev).

    .venv/bin/python benchmarks/deskew_ab.py --engine tesseract --set ../shared/benchmarks/train \
        --set var/sets/photos-train --limit 30 [--out NAME]

On a photo set the simulator's recorded rotation (`capture.params.rotation_deg` in its manifest,
degrees counter-clockwise) is the truth the estimate is checked against; perspective and curl add
slope of their own, so the error is an upper bound. Writes benchmarks/results/deskew_ab_<NAME>.json:
per category the aligned CER both ways, the pages better and worse levelled, the estimate's error
against the simulator and its cost. `aligned_cer_by_min_degrees` replays the two readings under
other minimum slopes by this script's own estimate, made on the page as it is; an engine that
flattens light first (Tesseract) estimates on the flattened page, so for it those rows are close,
not exact: confirm a chosen minimum by running the engine with it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.options import RecognizeOptions  # noqa: E402
from engines.registry import get_engine  # noqa: E402
from evaluation.dataset import load_set, sample  # noqa: E402
from evaluation.scoring import score_page  # noqa: E402
from imaging import deskew, load_first_page  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
WAYS = ("off", "auto")
MIN_DEGREES_CANDIDATES = (0.2, 0.5, 0.75, 1.0, 1.5, 2.0)


def simulated_rotations(set_dirs: list[str]) -> dict[tuple[str, str], float]:
    """(set name, page id) → the rotation the photo simulator applied, for the photo sets among
    `set_dirs` (a photo keeps its source page's id)."""
    truth = {}
    for folder in set_dirs:
        name = load_set(folder).name
        for line in (Path(folder) / "manifest.jsonl").read_text().splitlines():
            row = json.loads(line)
            rotation = row.get("capture", {}).get("params", {}).get("rotation_deg")
            if rotation is not None:
                truth[name, row["id"]] = float(rotation)
    return truth


def _cer(rows: list[dict], min_degrees: float) -> float:
    """Aligned CER over `rows` when only pages whose estimate reaches `min_degrees` are levelled."""
    errors = sum(r["errors"]["auto" if abs(r["estimate"]) >= min_degrees else "off"] for r in rows)
    return round(errors / max(1, sum(r["chars"] for r in rows)), 5)


def summarise(rows: list[dict]) -> dict:
    """Per category: aligned CER both ways and under each `MIN_DEGREES` candidate (a page whose
    estimate is smaller is read as it is, so each is exact from the two readings), pages better and
    worse levelled, the estimate's error against the simulator and its cost."""
    summary = {}
    for category in sorted({r["category"] for r in rows}) + ["all"]:
        mine = [r for r in rows if category in ("all", r["category"])]
        known = [r for r in mine if r["truth"] is not None]
        summary[category] = {
            "pages": len(mine),
            "aligned_cer": {"off": _cer(mine, float("inf")), "auto": _cer(mine, 0.0)},
            "aligned_cer_by_min_degrees": {str(t): _cer(mine, t) for t in MIN_DEGREES_CANDIDATES},
            "pages_better_levelled": sum(r["errors"]["auto"] < r["errors"]["off"] for r in mine),
            "pages_worse_levelled": sum(r["errors"]["auto"] > r["errors"]["off"] for r in mine),
            "pages_levelled": sum(r["estimate"] != 0 for r in mine),
            "estimate_seconds": round(float(np.mean([r["estimate_seconds"] for r in mine])), 4),
        }
        if known:
            error = np.abs([r["estimate"] - r["truth"] for r in known])
            summary[category]["estimate_abs_error_degrees"] = {
                "median": round(float(np.median(error)), 3),
                "p90": round(float(np.percentile(error, 90)), 3),
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="tesseract")
    parser.add_argument("--set", action="append", default=[], help="page set folder (repeatable)")
    parser.add_argument("--limit", type=int, default=30, help="pages per category of each set")
    parser.add_argument("--out", default="latest")
    parser.add_argument("--resummarise", type=Path, metavar="RESULTS", help="rewrite a results file's summary")
    args = parser.parse_args()
    if args.resummarise:
        result = json.loads(args.resummarise.read_text())
        result["summary"] = summarise(result["pages"])
        args.resummarise.write_text(json.dumps(result, indent=1) + "\n")
        print(json.dumps(result["summary"], indent=1))
        return
    engine = get_engine(args.engine)
    truth = simulated_rotations(args.set)
    rows = []
    for set_name, record, fold in sample(args.set, args.limit):
        gray = load_first_page(record.image).gray()
        started = time.perf_counter()
        estimate = deskew.skew_angle(gray)
        row = {
            "id": record.id,
            "category": record.category,
            "estimate": estimate,
            "estimate_seconds": time.perf_counter() - started,
            "truth": truth.get((set_name, record.id)),
            "errors": {},
        }
        for way in WAYS:
            result = engine.recognize(record.image, RecognizeOptions(engine_args={"deskew": way}))
            aligned = score_page(record, result, fold).aligned
            row["errors"][way], row["chars"] = aligned.errors, aligned.reference_length
        rows.append(row)
        print(record.id, estimate, row["truth"], row["errors"], flush=True)
    summary = summarise(rows)
    result = {
        "command": "benchmarks/deskew_ab.py " + " ".join(sys.argv[1:]),
        "engine": args.engine,
        "version": engine.version,
        "summary": summary,
        "pages": rows,
    }
    (RESULTS / f"deskew_ab_{args.out}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
