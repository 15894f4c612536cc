"""`python -m training.synth.sheet --out FILE.png`: a contact sheet of synthetic samples with labels."""

from __future__ import annotations

import argparse

import cv2
from PIL import Image, ImageDraw

from training.synth.generator import SynthConfig, SynthGenerator

CELL_H, CELL_W, LABEL_H = 48, 300, 14


def contact_sheet(gen: SynthGenerator, count: int, columns: int, start: int = 0) -> Image.Image:
    rows = (count + columns - 1) // columns
    sheet = Image.new("L", (columns * CELL_W, rows * (CELL_H + LABEL_H)), 128)
    draw = ImageDraw.Draw(sheet)
    for k in range(count):
        img, text = gen.sample(start + k)
        h, w = img.shape
        scale = min(CELL_H / h, (CELL_W - 4) / w)
        img = cv2.resize(img, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
        x, y = (k % columns) * CELL_W, (k // columns) * (CELL_H + LABEL_H)
        sheet.paste(Image.fromarray(img), (x + 2, y))
        draw.text((x + 2, y + CELL_H), repr(text)[:45], fill=255)
    return sheet


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=60)
    ap.add_argument("--columns", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", type=int, default=0)
    args = ap.parse_args()
    gen = SynthGenerator(SynthConfig(seed=args.seed))
    contact_sheet(gen, args.count, args.columns, args.start).save(args.out)
    print(args.out)


if __name__ == "__main__":
    main()
