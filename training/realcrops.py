"""Real word crops cut from a benchmark split's pages by their ground-truth `segments` boxes.

Only the `train` split may be used for training, fine-tuning and calibration. Pages are split
into fit/holdout deterministically by a hash of their id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from evaluation.normalize import uppercase_categories
from inhouse.recognizer.charset import in_charset, normalize_text

TRAIN_SPLIT = Path("/work/shared/benchmarks/train")


@dataclass(frozen=True)
class CropConfig:
    pad_px: int = 3
    holdout_fraction: float = 0.15
    min_side_px: int = 4


@dataclass
class Crop:
    image: np.ndarray  # grayscale uint8
    text: str
    category: str
    page: str
    fold_case: bool  # the category's ground truth is upper case (the evaluation's rule, from the split)


def is_holdout(page_id: str, fraction: float) -> bool:
    return int(hashlib.sha1(page_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < fraction


def cut_crops(split: Path = TRAIN_SPLIT, holdout: bool | None = None, config: CropConfig = CropConfig()) -> list[Crop]:
    """Single-token segments as padded crops; holdout=None: all pages, True/False: that part only."""
    crops: list[Crop] = []
    records = [json.loads(line) for line in (split / "manifest.jsonl").read_text().splitlines()]
    upper = uppercase_categories((r["category"], s["text"]) for r in records for s in r["segments"])
    for rec in records:
        if holdout is not None and is_holdout(rec["id"], config.holdout_fraction) != holdout:
            continue
        page = np.asarray(Image.open(split / rec["image"]).convert("L"))
        h, w = page.shape
        for seg in rec["segments"]:
            text = normalize_text(seg["text"])  # the model's charset mapping: labels, not metrics
            if not text or " " in text or not in_charset(text):
                continue
            x0, y0, x1, y1 = (int(round(v)) for v in seg["bbox"])
            x0, y0 = max(0, x0 - config.pad_px), max(0, y0 - config.pad_px)
            x1, y1 = min(w, x1 + config.pad_px), min(h, y1 + config.pad_px)
            if x1 - x0 < config.min_side_px or y1 - y0 < config.min_side_px:
                continue
            crops.append(Crop(page[y0:y1, x0:x1].copy(), text, rec["category"], rec["id"], rec["category"] in upper))
    return crops
