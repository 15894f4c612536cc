"""Orientation on the benchmark pages, per engine: false rotations of upright pages, and recovery of
the same pages turned 90/180/270 degrees.

    .venv/bin/python benchmarks/orientation_eval.py [--split dev | --set DIR] [--limit N]
                                                    [--engine inhouse --engine tesseract] [--out NAME]

The in-house engine's orientation step (`InhouseEngine.orientation`, as a page read decides it) and
Tesseract's (`TesseractEngine.upright_turn`, as a read with `engine_args orientation=auto` decides it:
OSD, and Tesseract's own readings where OSD proposes a turn-over or is not sure of a quarter turn) see
the same turned pages. For Tesseract the rows keep OSD's own answer and confidence and the confident
characters of each turn a check read; the summary also shows what each OSD confidence threshold would
give unchecked, and each upright page is also read once without orientation, so the cost of OSD and
its checks is measured against a page read in the
same run; for the in-house engine the rows keep the recognizer's score per turn and the summary
shows what each quarter-turn margin would give (how `TURN_MARGIN` is chosen, on train and its
photos). `--set` reads any page set, e.g. a photo set from `ocrgate sets photos`. Writes
benchmarks/results/orientation_<split>.json (or NAME.json).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.options import RecognizeOptions  # noqa: E402
from engines.registry import get_engine  # noqa: E402
from engines.tesseract import CHECK_GAIN, OSD_MIN_CONFIDENCE  # noqa: E402
from evaluation.dataset import load_set  # noqa: E402
from imaging import PageImage, load_first_page  # noqa: E402
from inhouse import orientation  # noqa: E402
from inhouse.orientation import TURN_MARGIN, decide, rotate  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
#: page turned clockwise by k degrees needs (360 - k) % 360 to come back
TURNS = (0, 90, 180, 270)
#: OSD confidence thresholds whose outcome the Tesseract summary lists
THRESHOLDS = (0.0, 1.0, 2.0, 3.0, 3.5, 4.0, 4.5, 5.0, 6.0, 7.5, 10.0, 14.0)
#: quarter-turn margins whose outcome the in-house summary lists
MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4)
PAGE = RecognizeOptions(mode="page")

Predictor = Callable[[PageImage], dict]


def inhouse_predictor() -> Predictor:
    engine = get_engine("inhouse")

    def one(page: PageImage) -> dict:
        found = engine.orientation(page, PAGE)
        return {
            "predicted": found.rotation,
            "profile_ratio": round(found.profile_ratio, 4),
            "scores": {str(turn): round(score, 4) for turn, score in found.scores.items()},
        }

    return one


def tesseract_predictor() -> Predictor:
    engine = get_engine("tesseract")

    def one(page: PageImage) -> dict:
        started = time.perf_counter()
        turn = engine.upright_turn(page, PAGE)
        return {
            "osd_rotate": turn.osd.rotate,
            "osd_confidence": turn.osd.confidence,
            "checked": {str(rotation): round(score, 1) for rotation, score in turn.checked.items()},
            "osd_seconds": time.perf_counter() - started,  # OSD and the reading checks it called for
            "predicted": turn.rotation,
        }

    return one


def _osd_turn(row: dict, threshold: float) -> int:
    """OSD's own turn at `threshold`, unchecked."""
    return row["osd_rotate"] if row["osd_confidence"] >= threshold else 0


def _with_margin(row: dict, margin: float) -> int:
    return decide({int(turn): score for turn, score in row["scores"].items()}, row["profile_ratio"], margin)


PREDICTORS: dict[str, Callable[[], Predictor]] = {"inhouse": inhouse_predictor, "tesseract": tesseract_predictor}


def _counts(rows: list[dict], predicted: Callable[[dict], int]) -> dict:
    upright = [r for r in rows if r["turned"] == 0]
    turned = [r for r in rows if r["turned"] != 0]
    return {
        "upright_pages": len(upright),
        "false_rotations": sum(predicted(r) != 0 for r in upright),
        "turned_pages": len(turned),
        "recovered": sum(predicted(r) == r["expected"] for r in turned),
    }


def summarise(engine: str, rows: list[dict]) -> dict:
    summary = {}
    for category in sorted({r["category"] for r in rows}) + ["all"]:
        mine = [r for r in rows if category in ("all", r["category"])]
        row = _counts(mine, lambda r: r["predicted"])
        row["seconds_per_prediction"] = float(np.mean([r["seconds"] for r in mine]))
        reads = [r["read_seconds"] for r in mine if "read_seconds" in r]
        if reads:  # OSD's cost against a page read, on the same upright pages in the same run
            row["seconds_per_page_read"] = float(np.mean(reads))
            row["osd_seconds_upright"] = float(np.mean([r["osd_seconds"] for r in mine if r["turned"] == 0]))
            row["cost_share_of_read"] = row["osd_seconds_upright"] / row["seconds_per_page_read"]
        if engine == "inhouse":
            row["by_turn_margin"] = {str(m): _counts(mine, lambda r, m=m: _with_margin(r, m)) for m in MARGINS}
        if engine == "tesseract":
            row["by_threshold_osd_alone"] = {str(t): _counts(mine, lambda r, t=t: _osd_turn(r, t)) for t in THRESHOLDS}
        summary[category] = row
        print(
            f"{engine:<10} {category:<16} upright {row['upright_pages']:<4} false rotations "
            f"{row['false_rotations']:<3} turned {row['turned_pages']:<4} recovered {row['recovered']:<4} "
            f"s/prediction {row['seconds_per_prediction']:.2f}"
            + (f"  (page read {row['seconds_per_page_read']:.2f} s)" if reads else "")
        )
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    parser.add_argument("--set", type=Path, help="a page set folder instead of a shared split")
    parser.add_argument("--limit", type=int, default=0, help="pages per category (0: all)")
    parser.add_argument("--engine", action="append", choices=sorted(PREDICTORS), help="default: both")
    parser.add_argument(
        "--turns",
        type=int,
        nargs="+",
        choices=TURNS,
        default=list(TURNS),
        help="the turns each page is shown in (default: all four; 0 alone: false rotations only)",
    )
    parser.add_argument("--out", help="results file name without .json (default orientation_<split>)")
    parser.add_argument(
        "--sample-aspect",
        type=float,
        default=orientation.MAX_SAMPLE_ASPECT,
        help="in-house: the widest-word sample's aspect cap, for a sweep (default: the shipped one)",
    )
    parser.add_argument(
        "--rescore",
        type=Path,
        metavar="RESULTS",
        help="decide a results file's in-house rows again under today's rule (`decide` is a pure "
        "function of the stored scores, so nothing is read again), rewrite its summaries",
    )
    args = parser.parse_args()
    if args.rescore:
        rescore(args.rescore)
        return
    orientation.MAX_SAMPLE_ASPECT = args.sample_aspect  # the engine's orientation step reads it per call
    engines = args.engine or sorted(PREDICTORS)
    predictors = {name: PREDICTORS[name]() for name in engines}
    bench = load_set(args.set or SHARED / args.split)
    seen: dict[str, int] = defaultdict(int)
    rows: dict[str, list[dict]] = defaultdict(list)
    for record in bench.records:
        if args.limit and seen[record.category] >= args.limit:
            continue
        seen[record.category] += 1
        page = load_first_page(record.image)
        for turn in args.turns:
            turned = dataclasses.replace(page, pixels=np.ascontiguousarray(rotate(page.pixels, turn)))
            for name, one in predictors.items():
                started = time.perf_counter()
                row = {"id": record.id, "category": record.category, "turned": turn, "expected": (360 - turn) % 360}
                row.update(one(turned))
                row["seconds"] = time.perf_counter() - started
                if name == "tesseract" and turn == 0:
                    started = time.perf_counter()
                    get_engine("tesseract").recognize(page, PAGE)
                    row["read_seconds"] = time.perf_counter() - started
                rows[name].append(row)
    result = {
        "split": args.split,
        "limit_per_category": args.limit,
        "turns": args.turns,
        "command": "benchmarks/orientation_eval.py " + " ".join(sys.argv[1:]),
        "set": str(args.set or SHARED / args.split),
        "tesseract_osd_min_confidence": OSD_MIN_CONFIDENCE,
        "tesseract_check_gain": CHECK_GAIN,
        "inhouse_turn_margin": TURN_MARGIN,
        "inhouse_max_sample_aspect": orientation.MAX_SAMPLE_ASPECT,
        "engines": {
            name: {"version": get_engine(name).version, "summary": summarise(name, rows[name])} for name in engines
        },
        "pages": {name: rows[name] for name in engines},
    }
    out = Path(__file__).resolve().parent / "results" / f"{args.out or f'orientation_{args.split}'}.json"
    out.write_text(json.dumps(result, indent=1))


def rescore(path: Path) -> None:
    """`path`'s in-house predictions and every summary, again under today's `decide` and margins."""
    result = json.loads(path.read_text())
    rows = result["pages"]
    for row in rows.get("inhouse", []):
        row["predicted"] = _with_margin(row, TURN_MARGIN)
    for name, engine in result["engines"].items():
        engine["summary"] = summarise(name, rows[name])
    result["inhouse_turn_margin"] = TURN_MARGIN
    result["rescored"] = {
        "command": f"benchmarks/orientation_eval.py --rescore {path.name}",
        "inhouse_code": get_engine("inhouse").version,
    }
    path.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
