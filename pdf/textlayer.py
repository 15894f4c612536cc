"""The hidden text layer of one page as content-stream operators.

Each line is one text object in reading order, with one font size (the line's height) and
one baseline, because readers that rebuild lines from glyph positions (poppler's reading
order, Apple Preview) split a line whose words differ in size. Each word gets its own text
matrix at its left end and a horizontal scale (`Tz`) that makes its glyphs exactly as wide
as its box. After every word but a line's last comes a real space character, scaled to fill
the gap up to the next word: text-stream readers (`pdftotext -raw`, plain copy) see the
space, and readers that rebuild words from positions see a gap of at least
`MIN_WORD_GAP_EM`. Render mode 3 draws nothing.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import pikepdf

from engines.result import BBox, Line, Page, Word
from pdf.fonts import DESCENT_EM, GLYPH_WIDTH_EM, GlyphlessFont
from pdf.geometry import Affine, normalize_rotation, unit, upright_to_user

#: text render mode 3: neither fill nor stroke; the text is there to select, copy and search
INVISIBLE = 3
#: the smallest gap between two words, as a fraction of the line's height; position-based
#: readers never glue words this far apart (poppler -raw glued a 0.15 gap; 0.2 was the least that held)
MIN_WORD_GAP_EM = 0.25
#: a box narrower or lower than this (pixels) is widened to it, so scales stay finite
MIN_BOX_PIXELS = 1
SPACE = " "
#: the start of the font's resource name on a page (a random suffix makes it unique)
FONT_RESOURCE_STEM = "OcrText"
_DIGITS = 4


def _num(value: float) -> str:
    text = f"{value:.{_DIGITS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class _PlacedWord:
    """A word's glyph run in upright pixels: from (x, baseline) over `width`, as high as its
    line, followed by a space `space_after` pixels wide (None after a line's last word)."""

    text: str
    x: float
    baseline: float
    width: float
    height: float
    space_after: float | None


def _place_line(line: Line, page: Page) -> list[_PlacedWord]:
    """The words of one line in reading order, with the spaces that separate them."""
    words = [Word(_clean(w.text), _on_page(w.bbox, page), w.confidence) for w in line.words]
    words = [w for w in words if w.text]
    if not words:
        return []
    line_box = _sane(BBox.union([w.bbox for w in words]))
    baseline = line_box.y1 - DESCENT_EM * line_box.height
    min_gap = max(MIN_BOX_PIXELS, MIN_WORD_GAP_EM * line_box.height)
    placed: list[_PlacedWord] = []
    for index, word in enumerate(words):
        box = _sane(word.bbox)
        right = float(box.x1)
        space = None
        if index + 1 < len(words):
            following = words[index + 1].bbox
            if following.x0 > box.x0:
                # keep a visible gap before the next word, narrowing this one if boxes crowd
                right = max(box.x0 + MIN_BOX_PIXELS, min(right, following.x0 - min_gap))
                space = max(min_gap, following.x0 - right)
            else:  # the next word is not to the right (right-to-left text, odd order)
                space = min_gap
        placed.append(_PlacedWord(word.text, box.x0, baseline, right - box.x0, line_box.height, space))
    return placed


def _clean(text: str) -> str:
    """A word's text without control characters, any inner whitespace as single spaces."""
    visible = "".join(char for char in text if unicodedata.category(char) != "Cc" or char.isspace())
    return " ".join(visible.split())


def _on_page(box: BBox, page: Page) -> BBox:
    """`box` clipped to the page, so an engine's stray box cannot put text off the page."""

    def clip(value: int, top: int) -> int:
        return min(max(value, 0), top)

    return BBox(
        clip(box.x0, page.width), clip(box.y0, page.height), clip(box.x1, page.width), clip(box.y1, page.height)
    )


def _sane(box: BBox) -> BBox:
    return BBox(box.x0, box.y0, max(box.x1, box.x0 + MIN_BOX_PIXELS), max(box.y1, box.y0 + MIN_BOX_PIXELS))


def page_text_layer(page: Page, to_user: Affine, font: GlyphlessFont, font_resource: str) -> bytes:
    """Operators that draw `page`'s words invisibly; `to_user` maps its pixels to user space.

    `font_resource` is the name (without slash) under which the page's resources hold `font`.
    """
    (dx, dy), x_scale = unit(to_user.apply_vector(1, 0))
    (ux, uy), y_scale = unit(to_user.apply_vector(0, -1))
    parts: list[str] = ["q"]
    space = font.encode(SPACE).hex()
    for line in page.lines:
        placed = _place_line(line, page)
        if not placed:
            continue
        parts.append(f"BT {INVISIBLE} Tr")
        for word in placed:
            size = word.height * y_scale
            glyph_width = GLYPH_WIDTH_EM * size
            ex, ey = to_user.apply(word.x, word.baseline)
            scale = 100.0 * word.width * x_scale / (len(word.text) * glyph_width)
            parts.append(
                f"/{font_resource} {_num(size)} Tf {_num(scale)} Tz "
                f"{_num(dx)} {_num(dy)} {_num(ux)} {_num(uy)} {_num(ex)} {_num(ey)} Tm "
                f"<{font.encode(word.text).hex()}> Tj"
            )
            if word.space_after is not None:
                parts.append(f"{_num(100.0 * word.space_after * x_scale / glyph_width)} Tz <{space}> Tj")
        parts.append("ET")
    parts.append("Q")
    return ("\n".join(parts) + "\n").encode("ascii")


def attach_text_layer(
    page: pikepdf.Page,
    ocr_page: Page,
    font: GlyphlessFont,
    content_box: tuple[float, float, float, float],
    content_rotation: int,
) -> None:
    """Draw `ocr_page`'s words over `page`'s existing content, which is left untouched.

    content_box and content_rotation say where the image the engine was handed lies in user
    space and how far it was turned (see `geometry.upright_to_user`); the engine's own
    rotation is added to it, and the page's `/Rotate` becomes the total, so the page shows
    upright. Existing content is wrapped in q/Q so its graphics state cannot leak into ours.
    """
    rotation = normalize_rotation(content_rotation + ocr_page.rotation)
    to_user = upright_to_user(ocr_page.width, ocr_page.height, content_box, rotation)
    if "/Resources" not in page.obj:
        page.obj.Resources = pikepdf.Dictionary()
    name = str(page.add_resource(font.font, pikepdf.Name.Font, prefix=FONT_RESOURCE_STEM))[1:]
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(b"Q\n" + page_text_layer(ocr_page, to_user, font, name), prepend=False)
    if rotation or "/Rotate" in page.obj:
        page.obj.Rotate = rotation
