"""Pages with known words and boxes, and an engine that "reads" exactly those words."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from PIL import Image, ImageDraw, ImageFont

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import BBox, Block, Line, Page, Word
from imaging import PageImage

FONT_SIZE = 40
MARGIN = 30
LINE_GAP = 20


@dataclass
class KnownPage:
    """An upright page image and the words on it, each box spanning its line's full height."""

    image: Image.Image
    lines: list[list[tuple[str, BBox]]]

    @property
    def words(self) -> list[tuple[str, BBox]]:
        return [word for line in self.lines for word in line]

    @property
    def line_texts(self) -> list[str]:
        return [" ".join(text for text, _ in line) for line in self.lines]

    def ocr_page(self, width: int, height: int, rotation: int = 0) -> Page:
        """The words as an engine reading a `width`×`height` upright image would report them."""
        sx, sy = width / self.image.width, height / self.image.height
        lines = [Line(words=[Word(text, BBox(round(b.x0 * sx), round(b.y0 * sy), round(b.x1 * sx),
                                             round(b.y1 * sy)), 0.99) for text, b in line])
                 for line in self.lines]
        return Page(width=width, height=height, blocks=[Block(lines=lines)], rotation=rotation)


def known_page(lines: list[str], size: int = FONT_SIZE) -> KnownPage:
    """Render `lines`; a word's box is its ink horizontally and the font's ascent..descent vertically."""
    font = ImageFont.load_default(size=size)
    ascent, descent = font.getmetrics()
    step = ascent + descent + LINE_GAP
    width = max(int(font.getlength(line)) for line in lines) + 2 * MARGIN
    image = Image.new("L", (width, 2 * MARGIN + len(lines) * step), 255)
    draw = ImageDraw.Draw(image)
    boxes = []
    for index, text in enumerate(lines):
        top = MARGIN + index * step
        draw.text((MARGIN, top), text, fill=0, font=font)
        line, x = [], MARGIN
        for word in text.split(" "):
            ink = draw.textbbox((x, top), word, font=font)
            line.append((word, BBox(ink[0], top, ink[2], top + ascent + descent)))
            x += font.getlength(word + " ")
        boxes.append(line)
    return KnownPage(image, boxes)


class KnownTextEngine(OcrEngine):
    """Reports `page`'s words on whatever image it is handed, after turning it by `rotation`."""

    name = "known-text"

    def __init__(self, page: KnownPage, rotation: int = 0):
        super().__init__()
        self.page, self.rotation = page, rotation

    @property
    def version(self) -> str:
        return "1"

    def _read_page(self, image: PageImage, options: RecognizeOptions) -> Page:
        width, height = (image.height, image.width) if self.rotation in (90, 270) else (image.width, image.height)
        return self.page.ocr_page(width, height, self.rotation)


@pytest.fixture(scope="module")
def sample_page() -> KnownPage:
    return known_page(["Hello world from ocrgate", "The quick brown fox 12.50", "a we on by quip jumps"])
