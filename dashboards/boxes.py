"""Draw an engine run's word boxes on the request image, for the paired-output browser."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from imaging import load_first_page

MAX_WIDTH = 1200
COLOURS = {"control": (37, 99, 235), "candidate": (234, 88, 12)}


def boxes_png(image: bytes, result: dict | None, side: str) -> bytes:
    """The first page of `image`, scaled to at most MAX_WIDTH px, with `result`'s word boxes."""
    page = load_first_page(image)
    picture = Image.fromarray(page.pixels).convert("RGB")
    draw = ImageDraw.Draw(picture)
    colour = COLOURS[side]
    if result:
        for p in result["pages"][:1]:
            for block in p["blocks"]:
                for line in block["lines"]:
                    for word in line["words"]:
                        box = word["bbox"]
                        x0, y0, x1, y1 = (box["x0"], box["y0"], box["x1"], box["y1"]) if isinstance(box, dict) else box
                        draw.rectangle([x0, y0, x1, y1], outline=colour, width=2)
    if picture.width > MAX_WIDTH:
        picture = picture.resize((MAX_WIDTH, round(picture.height * MAX_WIDTH / picture.width)))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()
