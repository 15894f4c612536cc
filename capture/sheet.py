"""A contact sheet of the simulator: clean pages beside their photos, a few with their line boxes.

python -m capture.sheet --set ../shared/benchmarks/dev --out docs/photos-contact-sheet.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from capture.params import CaptureParams, draw_params
from capture.simulate import simulate
from evaluation.dataset import BenchmarkRecord, load_set

THUMB_HEIGHT = 330  # px: each page and photo on the sheet
CAPTION = 34  # px above each pair
GAP = 16  # px between pairs and rows
BACKGROUND = (236, 236, 236)
BOX_COLOUR = (0, 150, 255)  # BGR: orange


def effects(params: CaptureParams) -> str:
    """The salient parameters of a page, in a few words."""
    found = [f"{params.out_long_side}px", f"rot {params.rotation_deg:+.1f}deg"]
    if params.shadow_edge >= 0:
        found.append(f"shadow {params.shadow_darkness:.0%}")
    if params.highlight_strength > 0:
        found.append("glare" + (" (sat.)" if params.highlight_strength > 1 else ""))
    if params.defocus_radius > 0:
        found.append(f"defocus {params.defocus_radius:.1f}px")
    if params.motion_length > 0:
        found.append(f"shake {params.motion_length:.0f}px")
    found.append(f"q{params.jpeg_quality}")
    return ", ".join(found)


def pick(records: list[BenchmarkRecord], per_category: int, seed: int) -> list[BenchmarkRecord]:
    """Per category, pages that show the variety: the first with a shadow, the first with glare,
    then the first others (in manifest order)."""
    chosen: list[BenchmarkRecord] = []
    for category in sorted({r.category for r in records}):
        pages = [r for r in records if r.category == category]
        wanted = [
            next((r for r in pages if draw_params(r.id, seed).shadow_edge >= 0), None),
            next((r for r in pages if draw_params(r.id, seed).highlight_strength > 0), None),
        ]
        mine = list(dict.fromkeys(r.id for r in wanted if r is not None))
        mine += [r.id for r in pages if r.id not in mine]
        chosen += [next(r for r in pages if r.id == i) for i in mine[:per_category]]
    return chosen


def _thumb(image: np.ndarray, boxes: list[list[int]] | None) -> np.ndarray:
    scale = THUMB_HEIGHT / image.shape[0]
    width = max(1, round(image.shape[1] * scale))
    thumb = cv2.resize(image, (width, THUMB_HEIGHT), interpolation=cv2.INTER_AREA)
    for x0, y0, x1, y1 in boxes or []:
        p0 = (round(x0 * scale), round(y0 * scale))
        p1 = (round(x1 * scale), round(y1 * scale))
        cv2.rectangle(thumb, p0, p1, BOX_COLOUR, 1)
    return thumb


def pair(record: BenchmarkRecord, seed: int, draw_boxes: bool) -> np.ndarray:
    """The clean page and its photo side by side, captioned; line boxes on both if `draw_boxes`."""
    image = cv2.imread(str(record.image), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if image is None:
        raise ValueError(f"{record.image}: cannot be decoded")
    params = draw_params(record.id, seed)
    boxes = [[t.bbox.x0, t.bbox.y0, t.bbox.x1, t.bbox.y1] for t in record.lines]
    jpeg, mapped = simulate(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), boxes, params)
    photo = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if photo is None:
        raise ValueError(f"{record.id}: the simulated JPEG cannot be decoded")
    clean = _thumb(image, boxes if draw_boxes else None)
    shot = _thumb(photo, mapped.tolist() if draw_boxes else None)
    width = clean.shape[1] + GAP // 2 + shot.shape[1]
    canvas = np.full((CAPTION + THUMB_HEIGHT, max(width, 420), 3), BACKGROUND, np.uint8)
    canvas[CAPTION:, : clean.shape[1]] = clean
    canvas[CAPTION:, clean.shape[1] + GAP // 2 : width] = shot
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(canvas, f"{record.id} ({record.category})", (2, 13), font, 0.42, (30, 30, 30), 1, cv2.LINE_AA)
    cv2.putText(canvas, effects(params), (2, 29), font, 0.38, (70, 70, 70), 1, cv2.LINE_AA)
    return canvas


def contact_sheet(set_dir: Path, seed: int = 0, per_category: int = 2) -> np.ndarray:
    """Rows of clean/photo pairs, one row per category; boxes drawn on each row's first pair."""
    records = pick(load_set(set_dir).records, per_category, seed)
    rows: list[list[np.ndarray]] = []
    for i, record in enumerate(records):
        if i % per_category == 0:
            rows.append([])
        rows[-1].append(pair(record, seed, draw_boxes=i % per_category == 0))
    lines = []
    for row in rows:
        height = max(p.shape[0] for p in row)
        padded = [np.pad(p, ((0, height - p.shape[0]), (0, GAP), (0, 0)), constant_values=BACKGROUND[0]) for p in row]
        lines.append(np.concatenate(padded, axis=1))
    width = max(line.shape[1] for line in lines)
    sheet = [
        np.pad(line, ((GAP // 2, GAP // 2), (0, width - line.shape[1]), (0, 0)), constant_values=BACKGROUND[0])
        for line in lines
    ]
    return np.pad(np.concatenate(sheet, axis=0), ((0, 0), (GAP, 0), (0, 0)), constant_values=BACKGROUND[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m capture.sheet", description=__doc__)
    parser.add_argument("--set", type=Path, required=True, help="a page set (folder)")
    parser.add_argument("--out", type=Path, required=True, help="the PNG to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-category", type=int, default=2)
    args = parser.parse_args(argv)
    sheet = contact_sheet(args.set, args.seed, args.per_category)
    ok, png = cv2.imencode(".png", sheet, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    if not ok:
        raise SystemExit("PNG encoding failed")
    args.out.write_bytes(png.tobytes())
    print(f"wrote {args.out}: {sheet.shape[1]}x{sheet.shape[0]} px, {len(png) / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
