"""What the scoring itself costs a perfect reader on photos: the ground truth read back with exact
word boxes, scored on the clean page, on its photo with the lines' outlines (how `ocrgate eval`
scores photo sets), and on its photo with the lines' boxes alone (how it scored them before).

    .venv/bin/python benchmarks/photo_alignment.py ../shared/benchmarks/train var/sets/photos-train \
        --out benchmarks/results/photo_alignment_train.json

The reader (`evaluation.perfect.perfect_reading`) puts each ground-truth word at its share of its
segment's box (exact for one-word segments, an approximation for SROIE's phrases), mapped through
the photo's geometry (`capture.geometry.capture_geometry` from the page's recorded parameters). Any aligned CER it
gets is the metric's, not an engine's; on the clean page it measures the share split itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capture.geometry import map_boxes  # noqa: E402
from capture.photoset import captures  # noqa: E402
from engines.result import OcrResult  # noqa: E402
from evaluation.dataset import BenchmarkRecord, load_set  # noqa: E402
from evaluation.normalize import uppercase_categories  # noqa: E402
from evaluation.perfect import perfect_reading  # noqa: E402
from evaluation.scoring import score_page  # noqa: E402


def aligned_rate(record: BenchmarkRecord, result: OcrResult, fold: bool) -> float:
    return score_page(record, result, fold).aligned.rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clean", type=Path, help="the page set the photos were built from")
    parser.add_argument("photos", type=Path, help="its photo set (`ocrgate sets photos`)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    photos = load_set(args.photos)
    taken = captures(args.photos, args.clean)
    folded = uppercase_categories((r.category, r.text) for r in photos.records)
    rates: dict[str, dict[str, list[float]]] = {}
    for photo in photos.records:
        source, step = taken[photo.id].source, taken[photo.id].geometry
        on_photo = perfect_reading(source, functools.partial(map_boxes, step=step), step.dst_size)
        boxes_only = dataclasses.replace(photo, lines=[dataclasses.replace(line, polygon=None) for line in photo.lines])
        fold = photo.category in folded
        row = rates.setdefault(photo.category, {"clean": [], "photo_outlines": [], "photo_boxes": []})
        row["clean"].append(aligned_rate(source, perfect_reading(source), fold))
        row["photo_outlines"].append(aligned_rate(photo, on_photo, fold))
        row["photo_boxes"].append(aligned_rate(boxes_only, on_photo, fold))
    summary = {
        category: {
            "pages": len(row["clean"]),
            **{f"mean_aligned_cer_{k}": round(float(np.mean(v)), 4) for k, v in row.items()},
            **{f"pages_over_2pct_{k}": int(sum(r > 0.02 for r in v)) for k, v in row.items()},
        }
        for category, row in sorted(rates.items())
    }
    report = {"command": " ".join(sys.argv), "clean": str(args.clean), "photos": str(args.photos), "summary": summary}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
