"""Read a PDF's text back with independent tools: poppler (pdftotext), pdfminer.six, MuPDF.

Boxes come back in the displayed page's coordinates (after /Rotate), top-left origin, in
points; `to_pixels` scales them to the upright image the engine read.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from lxml import etree
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LAParams, LTAnno, LTChar, LTTextLine

from engines.result import BBox

XHTML = "{http://www.w3.org/1999/xhtml}"


@dataclass
class ExtractedWord:
    text: str
    box: tuple[float, float, float, float]  # x0, top, x1, bottom in displayed points


@dataclass
class ExtractedPage:
    width: float
    height: float
    words: list[ExtractedWord]

    def boxes_in_pixels(self, upright_width: int) -> list[BBox]:
        scale = upright_width / self.width
        return [BBox(*(round(v * scale) for v in word.box)) for word in self.words]


def pdftotext(path: Path, *flags: str) -> str:
    return subprocess.run(["pdftotext", *flags, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def text_lines(text: str) -> list[str]:
    """Non-empty lines with their ends stripped (page breaks and blank lines dropped)."""
    return [line.strip() for line in text.replace("\f", "\n").splitlines() if line.strip()]


def poppler_pages(path: Path) -> list[ExtractedPage]:
    """Words from `pdftotext -bbox-layout` over the CropBox (its page size ignores /Rotate)."""
    root = etree.fromstring(pdftotext(path, "-bbox-layout", "-cropbox").encode())
    with pikepdf.open(path) as pdf:
        sideways = [page.rotation % 180 == 90 for page in pdf.pages]
    pages = []
    for page, turned in zip(root.iter(f"{XHTML}page"), sideways):
        words = [ExtractedWord(w.text or "", tuple(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax")))
                 for w in page.iter(f"{XHTML}word")]
        size = float(page.get("width")), float(page.get("height"))
        pages.append(ExtractedPage(*(size[::-1] if turned else size), words))
    return pages


def pdfminer_text(path: Path) -> str:
    return extract_text(str(path), laparams=LAParams())


def pdfminer_pages(path: Path) -> list[ExtractedPage]:
    """Words as pdfminer's layout analysis rebuilds them from glyph positions."""
    pages = []
    for layout in extract_pages(str(path), laparams=LAParams()):
        words: list[ExtractedWord] = []
        for line in _lines(layout):
            chars: list[LTChar] = []
            for item in list(line) + [None]:
                if item is None or isinstance(item, LTAnno) or item.get_text().isspace():
                    if chars:
                        x0, x1 = min(c.x0 for c in chars), max(c.x1 for c in chars)
                        y0, y1 = min(c.y0 for c in chars), max(c.y1 for c in chars)
                        words.append(ExtractedWord("".join(c.get_text() for c in chars),
                                                   (x0, layout.height - y1, x1, layout.height - y0)))
                    chars = []
                else:
                    chars.append(item)
        pages.append(ExtractedPage(layout.width, layout.height, words))
    return pages


def _lines(container):
    for item in container:
        if isinstance(item, LTTextLine):
            yield item
        elif hasattr(item, "__iter__"):
            yield from _lines(item)


def mupdf_text(path: Path) -> str | None:
    """MuPDF's text extraction (`mutool draw -F txt`), or None where mupdf-tools is missing."""
    if shutil.which("mutool") is None:
        return None
    return subprocess.run(["mutool", "draw", "-F", "txt", "-o", "-", str(path)], capture_output=True,
                          text=True, check=True).stdout


def qpdf_check(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
