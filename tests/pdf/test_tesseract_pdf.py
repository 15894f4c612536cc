"""One real run: `ocrgate pdf` with Tesseract on an image-only PDF, read back by both tools."""

from __future__ import annotations

from engines import get_engine
from engines.result import BBox
from ocrgate.cli import main
from pdf.rasterize import render_page
from tests.conftest import render_text
from tests.pdf.extractors import (mupdf_text, pdfminer_pages, pdfminer_text, pdftotext, poppler_pages,
                                  qpdf_check, text_lines)

DPI = 300
MIN_IOU = 0.7


def test_tesseract_pdf_reads_back_as_the_engine_read_it(tmp_path):
    source, out = tmp_path / "scan.pdf", tmp_path / "searchable.pdf"
    render_text(["Invoice number 4471 dated today", "Total due: 12.50 EUR", "quickly pay by wire"]
                ).save(source, resolution=DPI)
    assert main(["pdf", str(source), "-o", str(out), "--engine", "tesseract", "--dpi", str(DPI)]) == 0
    page = get_engine("tesseract").recognize(render_page(source, 1, DPI)).pages[0]
    lines = [line.text for line in page.lines if line.text]
    assert qpdf_check(out).returncode == 0
    for text in (pdftotext(out), pdftotext(out, "-raw"), pdfminer_text(out), mupdf_text(out)):
        assert text is None or text_lines(text) == lines
    # one font size per line: a word's box spans its line's height, and is exact across
    expected = [BBox(word.bbox.x0, line.bbox.y0, word.bbox.x1, line.bbox.y1)
                for line in page.lines for word in line.words]
    for pages in (poppler_pages(out), pdfminer_pages(out)):
        assert [w.text for w in pages[0].words] == [w.text for w in page.words]
        boxes = pages[0].boxes_in_pixels(page.width)
        assert min(got.iou(want) for got, want in zip(boxes, expected)) >= MIN_IOU
