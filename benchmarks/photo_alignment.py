"""What the scoring itself costs a perfect reader on photos: the ground truth read back with exact
word boxes, scored on the clean page, on its photo with the lines' outlines (how `ocrgate eval`
scores photo sets), and on its photo with the lines' boxes alone (how it scored them before).

    .venv/bin/python benchmarks/photo_alignment.py ../shared/benchmarks/train var/sets/photos-train \
        --out benchmarks/results/photo_alignment_train.json

The reader's words are each ground-truth segment's words at their share of its box (exact for
one-word segments, an approximation for SROIE's phrases), mapped through the photo's geometry
(`capture.geometry.capture_geometry` from the page's recorded parameters). Any aligned CER it
gets is the metric's, not an engine's; on the clean page it measures the share split itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from capture.geometry import capture_geometry, map_boxes  # noqa: E402
from capture.params import CaptureParams  # noqa: E402
from engines.result import BBox, Block, Line, OcrResult, Page, Word  # noqa: E402
from evaluation.dataset import BenchmarkRecord, load_set  # noqa: E402
from evaluation.normalize import uppercase_categories  # noqa: E402
from evaluation.scoring import score_page  # noqa: E402


def exact_words(record: BenchmarkRecord) -> tuple[list[str], np.ndarray]:
    """The record's words and their boxes (N, 4, inclusive pixel indices) at their share of their segment."""
    texts, boxes = [], []
    for segment in record.segments:
        tokens, box = segment.text.split(), segment.bbox
        if not tokens:
            continue
        unit = box.width / (sum(map(len, tokens)) + len(tokens) - 1)
        x = float(box.x0)
        for token in tokens:
            texts.append(token)
            boxes.append([x, box.y0, x + unit * len(token) - 1, box.y1 - 1])
            x += unit * (len(token) + 1)
    return texts, np.array(boxes, dtype=np.float64).reshape(-1, 4)


def aligned_rate(record: BenchmarkRecord, texts: list[str], boxes: np.ndarray, fold: bool) -> float:
    words = [
        Word(t, BBox(int(b[0]), int(b[1]), int(b[2]) + 1, int(b[3]) + 1), 1.0)
        for t, b in zip(texts, boxes, strict=True)
    ]
    result = OcrResult("perfect", "1", [Page(record.width or 0, record.height or 0, [Block([Line(words)])])])
    return score_page(record, result, fold).aligned.rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("clean", type=Path, help="the page set the photos were built from")
    parser.add_argument("photos", type=Path, help="its photo set (`ocrgate sets photos`)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    clean, photos = load_set(args.clean), load_set(args.photos)
    sources = {r.id: r for r in clean.records}
    raw = {
        json.loads(line)["id"]: json.loads(line)
        for line in (args.photos / "manifest.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    folded = uppercase_categories((r.category, r.text) for r in photos.records)
    rates: dict[str, dict[str, list[float]]] = {}
    for photo in photos.records:
        source = sources[photo.id]
        texts, boxes = exact_words(source)
        params = CaptureParams.from_dict(raw[photo.id]["capture"]["params"])
        mapped = map_boxes(boxes, capture_geometry((source.width or 0, source.height or 0), params))
        boxes_only = dataclasses.replace(photo, lines=[dataclasses.replace(line, polygon=None) for line in photo.lines])
        fold = photo.category in folded
        row = rates.setdefault(photo.category, {"clean": [], "photo_outlines": [], "photo_boxes": []})
        row["clean"].append(aligned_rate(source, texts, boxes, fold))
        row["photo_outlines"].append(aligned_rate(photo, texts, mapped, fold))
        row["photo_boxes"].append(aligned_rate(boxes_only, texts, mapped, fold))
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
