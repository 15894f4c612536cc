"""Word-detection precision/recall of the MSER detector alone, per category, against the
ground-truth word boxes (IoU ≥ 0.5), plus seconds per page. Words that only the faint pass found
are left out: they count only once read (`inhouse.wordinator.rejoin`), so `ocrgate eval`'s
detection numbers, of the words the engine serves, include those kept.

    .venv/bin/python benchmarks/detector_eval.py [--split dev|train] [--limit N]

Writes benchmarks/results/detector_<split>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.dataset import load_set  # noqa: E402
from evaluation.metrics import detection_counts  # noqa: E402
from evaluation.scoring import truth_word_boxes  # noqa: E402
from imaging import load_first_page  # noqa: E402
from inhouse.detector import detect_words  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int, default=0, help="pages per category (0: all)")
    parser.add_argument("--root", type=Path, default=SHARED)
    args = parser.parse_args()
    bench = load_set(args.root / args.split)
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0.0, 0])
    seen: dict[str, int] = defaultdict(int)
    for record in bench.records:
        if args.limit and seen[record.category] >= args.limit:
            continue
        seen[record.category] += 1
        page = load_first_page(record.image)
        started = time.perf_counter()
        detection = detect_words(page.gray(), rgb=page.pixels if page.pixels.ndim == 3 else None)  # as the engine does
        elapsed = time.perf_counter() - started
        regions = record.ignore_regions
        detected = [w.bbox for w in detection.words if not w.faint
                    and not any(w.bbox.intersection_area(r) >= 0.5 * max(1, w.bbox.area) for r in regions)]
        counts = detection_counts(truth_word_boxes(record.segments), detected)
        for key in (record.category, "all"):
            row = sums[key]
            row[0] += counts.matched
            row[1] += counts.detected
            row[2] += counts.truth
            row[3] += elapsed
            row[4] += 1
    result = {}
    for key, (matched, detected, truth, seconds, pages) in sorted(sums.items()):
        precision, recall = matched / max(detected, 1), matched / max(truth, 1)
        result[key] = {"pages": pages, "precision": precision, "recall": recall,
                       "f1": 2 * precision * recall / max(precision + recall, 1e-9),
                       "seconds_per_page": seconds / pages}
        print(f"{key:<16} pages={pages:<4} P={precision:.3f} R={recall:.3f} s/page={seconds / pages:.3f}")
    out = Path(__file__).resolve().parent / "results" / f"detector_{args.split}.json"
    out.write_text(json.dumps({"split": args.split, "iou": 0.5, "categories": result}, indent=2))


if __name__ == "__main__":
    main()
