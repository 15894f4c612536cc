"""A tiny benchmark set rendered on the fly, with exact line and word boxes, plus engines whose
accuracy on it is known: they read the ground truth and corrupt a set share of characters."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from engines import BBox, Block, Line, OcrEngine, Page, Word, register_engine
from engines.registry import unregister_engine

PAGES = {
    "receipts": [["TOTAL 12.90", "CASH 20.00", "CHANGE 7.10"], ["TAX INVOICE", "GST ID 001531760640"]],
    "docs": [["Dear Sir or Madam", "please find enclosed"], ["The quick brown fox", "jumps over the lazy dog"]],
}


def render_page(lines: list[str]) -> tuple[Image.Image, list[dict], list[dict]]:
    font = ImageFont.load_default(size=28)
    image = Image.new("L", (700, 60 + 50 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    line_records, segments = [], []
    for i, text in enumerate(lines):
        y = 30 + 50 * i
        draw.text((30, y), text, fill=0, font=font)
        x0, y0, x1, y1 = draw.textbbox((30, y), text, font=font)
        line_records.append({"bbox": [x0, y0, x1, y1], "text": text})
        offset = 0
        for token in text.split(" "):
            start = draw.textlength(text[:offset], font=font)
            bx0, by0, bx1, by1 = draw.textbbox((30 + start, y), token, font=font)
            segments.append({"bbox": [bx0, by0, bx1, by1], "text": token})
            offset += len(token) + 1
    return image, line_records, segments


@pytest.fixture
def tiny_set(tmp_path) -> Path:
    root = tmp_path / "tiny"
    (root / "images").mkdir(parents=True)
    with open(root / "manifest.jsonl", "w") as manifest:
        for category, pages in PAGES.items():
            for n, lines in enumerate(pages):
                image, line_records, segments = render_page(lines)
                name = f"images/{category}_{n}.png"
                image.save(root / name)
                manifest.write(json.dumps({
                    "id": f"{category}_{n}", "image": name, "category": category, "width": image.width,
                    "height": image.height, "text": "\n".join(lines), "lines": line_records,
                    "segments": segments}) + "\n")
    return root


class CorruptingEngine(OcrEngine):
    """Reads the ground truth of a known page and replaces `rate` of its characters."""

    version = "1"

    def __init__(self, name: str, truth: dict[str, list[dict]], rate: float):
        super().__init__()
        self.name, self.truth, self.rate = name, truth, rate

    def _read_page(self, page, options):
        rng = random.Random(f"{self.name}{page.source}")
        lines = []
        for segment_line in self.truth[hashlib.sha256(page.pixels.tobytes()).hexdigest()]:
            words = []
            for segment in segment_line:
                text = "".join("#" if rng.random() < self.rate else ch for ch in segment["text"])
                words.append(Word(text, BBox(*segment["bbox"]), 1 - self.rate))
            lines.append(Line(words))
        return Page(width=page.width, height=page.height, blocks=[Block(lines)])


@pytest.fixture
def corrupting_engines(tiny_set):
    truth = {}
    for line in (tiny_set / "manifest.jsonl").read_text().splitlines():
        record = json.loads(line)
        pixels = np.asarray(Image.open(tiny_set / record["image"]))
        by_line = [[s for s in record["segments"] if l["bbox"][1] <= s["bbox"][1] < l["bbox"][3]]
                   for l in record["lines"]]
        truth[hashlib.sha256(pixels.tobytes()).hexdigest()] = by_line
    names = {"perfect": 0.0, "sloppy": 0.3}
    for name, rate in names.items():
        register_engine(name, lambda name=name, rate=rate: CorruptingEngine(name, truth, rate))
    yield list(names)
    for name in names:
        unregister_engine(name)
