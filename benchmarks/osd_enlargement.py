"""How much Tesseract's OSD gains when a page's small letters are enlarged first, and which
confidence threshold that calls for: the sweep behind `OSD_LETTER_HEIGHT` and `OSD_MIN_CONFIDENCE`.

    .venv/bin/python benchmarks/osd_enlargement.py [--split train] [--limit 12]

Each page is turned 0/90/180/270 and OSD asked on it (`TesseractEngine.detect_orientation`, in
colour as a read sees it) as it is and with its letters enlarged to each height in HEIGHTS
(imaging.text_size). The summary gives, per height and threshold: turned
pages recovered, upright pages turned (false rotations) and turned pages turned the wrong way.
Writes benchmarks/results/osd_enlargement_<split>.json. Choose on train, never on dev.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engines.options import RecognizeOptions  # noqa: E402
from engines.registry import get_engine  # noqa: E402
from engines.tesseract import OSD_MOST_ENLARGEMENT  # noqa: E402
from evaluation.dataset import load_set  # noqa: E402
from imaging import load_first_page, text_size  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"
HEIGHTS = (0, 20, 28, 36)  # 0: the page as it is
THRESHOLDS = (1.0, 2.0, 3.0, 4.0, 4.5, 5.0, 6.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="train")
    parser.add_argument("--limit", type=int, default=12, help="pages per category")
    args = parser.parse_args()
    engine = get_engine("tesseract")
    rows = []
    seen: dict[str, int] = {}
    for record in load_set(SHARED / args.split).records:
        if seen.get(record.category, 0) >= args.limit:
            continue
        seen[record.category] = seen.get(record.category, 0) + 1
        page = load_first_page(record.image)
        height = text_size.letter_height(page.gray())
        for turn in (0, 90, 180, 270):
            turned = dataclasses.replace(page, pixels=np.ascontiguousarray(np.rot90(page.pixels, k=-(turn // 90))))
            row = {
                "id": record.id,
                "category": record.category,
                "letter_height": height,
                "expected": (360 - turn) % 360,
                "osd": {},
            }
            for wanted in HEIGHTS:
                osd = engine.detect_orientation(turned, RecognizeOptions(), letter_height=wanted)
                row["osd"][str(wanted)] = (osd.rotate, osd.confidence)
            rows.append(row)
            print(json.dumps(row), flush=True)
    summary = {}
    for category in sorted({r["category"] for r in rows}) + ["all"]:
        mine = [r for r in rows if category in ("all", r["category"])]
        summary[category] = {
            str(wanted): {
                str(threshold): {
                    "recovered": sum(
                        r["expected"]
                        and r["osd"][str(wanted)][0] == r["expected"]
                        and r["osd"][str(wanted)][1] >= threshold
                        for r in mine
                    ),
                    "false_rotations": sum(
                        not r["expected"] and r["osd"][str(wanted)][0] and r["osd"][str(wanted)][1] >= threshold
                        for r in mine
                    ),
                    "wrong_turns": sum(
                        r["expected"]
                        and r["osd"][str(wanted)][0] not in (0, r["expected"])
                        and r["osd"][str(wanted)][1] >= threshold
                        for r in mine
                    ),
                }
                for threshold in THRESHOLDS
            }
            | {
                "most_confident_wrong": max(
                    [r["osd"][str(wanted)][1] for r in mine if r["osd"][str(wanted)][0] != r["expected"]], default=0.0
                )
            }
            for wanted in HEIGHTS
        } | {
            "upright_pages": sum(not r["expected"] for r in mine),
            "turned_pages": sum(bool(r["expected"]) for r in mine),
        }
    out = Path(__file__).resolve().parent / "results" / f"osd_enlargement_{args.split}.json"
    out.write_text(
        json.dumps(
            {
                "command": f"benchmarks/osd_enlargement.py --split {args.split} --limit {args.limit}",
                "heights": HEIGHTS,
                "most_enlargement": OSD_MOST_ENLARGEMENT,
                "summary": summary,
                "pages": rows,
            },
            indent=1,
        )
        + "\n"
    )
    print(json.dumps(summary["all"], indent=1))


if __name__ == "__main__":
    main()
