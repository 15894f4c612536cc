"""Writing the hidden text layer: ms per page, against `tesseract IMG out pdf`, same pages, same run.

    python benchmarks/pdf_textlayer.py [--repeat 5] [--tesseract-repeat 3]

For each page (the sample scans in samples/ and a few rendered pages) it times:
  - ocrgate_write_ms: image + text layer → PDF bytes, from an OcrResult already in hand;
  - tesseract_pdf_ms: the `tesseract IMG out pdf` program (OCR + its PDF renderer);
  - tesseract_txt_ms: the same program writing text only, so the difference is an estimate of
    what its PDF renderer costs.
It also reads both PDFs back (pdftotext reading order and -raw, pdfminer, MuPDF) and counts lines
whose words and single spaces equal the engine's, and the word-box IoU against the engine's
boxes. Writes benchmarks/results/pdf_textlayer.json.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engines import get_engine  # noqa: E402
from engines.result import BBox, Page  # noqa: E402
from imaging import load_pages  # noqa: E402
from pdf.pipeline import write_image_pdf  # noqa: E402
from tests.pdf.extractors import mupdf_text, pdfminer_text, pdftotext, poppler_pages, text_lines  # noqa: E402

RENDERED_LINES = [
    ["Searchable PDFs keep the scan and add text", "that copies, pastes and searches correctly.",
     "Two words stay two words in every viewer."],
    ["Invoice 2024-117   Total due: 1,234.50 EUR", "Payment within 30 days to account 12 345 678",
     "Questions? Write to billing@example.com"],
    ["a we on by quip jumps over lazy dogs", "The quick brown fox jumps over the lazy dog",
     "0123456789 (brackets) [more] {braces}"],
]
RENDER_DPI = 300
FONT_SIZE = 48


def render(lines: list[str]) -> Image.Image:
    font = ImageFont.load_default(size=FONT_SIZE)
    width = max(int(font.getlength(line)) for line in lines) + 2 * FONT_SIZE
    image = Image.new("L", (width, (len(lines) * 2 + 2) * FONT_SIZE), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((FONT_SIZE, FONT_SIZE + 2 * i * FONT_SIZE), line, fill=0, font=font)
    return image


def timed(function, repeat: int) -> float:
    """Median milliseconds of `repeat` calls."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


def read_back(pdf: Path, page: Page) -> dict:
    """How the PDF's text reads back, against the engine's lines, words and boxes.

    words_found: engine words that come back as whitespace-separated tokens (glued words
    do not); lines_exact: engine lines that come back whole with single spaces (also lost
    when a reader orders a multi-column page differently); IoU: each engine word against
    the poppler word of the same text that overlaps it most.
    """
    lines = [line.text for line in page.lines if line.text]
    words = [word.text for word in page.words]
    result = {}
    for name, text in (("pdftotext", pdftotext(pdf)), ("pdftotext_raw", pdftotext(pdf, "-raw")),
                       ("pdfminer", pdfminer_text(pdf)), ("mupdf", mupdf_text(pdf) or "")):
        got_lines, tokens = set(text_lines(text)), Counter(text.split())
        found = sum((Counter(words) & tokens).values())
        result[name] = {"words_found": f"{found}/{len(words)}",
                        "lines_exact": f"{sum(line in got_lines for line in lines)}/{len(lines)}"}
    extracted = poppler_pages(pdf)[0]
    by_text: dict[str, list[BBox]] = {}
    for word, box in zip(extracted.words, extracted.boxes_in_pixels(page.width)):
        by_text.setdefault(word.text, []).append(box)
    ious, in_line = [], []
    for line in page.lines:
        for word in line.words:
            candidates = by_text.get(word.text, [])
            ious.append(max((box.iou(word.bbox) for box in candidates), default=0.0))
            stretched = BBox(word.bbox.x0, line.bbox.y0, word.bbox.x1, line.bbox.y1)
            in_line.append(max((box.iou(stretched) for box in candidates), default=0.0))
    result["poppler_boxes"] = {"word_iou_mean": round(statistics.mean(ious), 3),
                               "word_iou_ge_0_7": f"{sum(i >= 0.7 for i in ious)}/{len(ious)}",
                               "word_box_at_line_height_iou_mean": round(statistics.mean(in_line), 3)}
    return result


def bench_page(path: Path, repeat: int, tesseract_repeat: int, workdir: Path) -> dict:
    images = load_pages(path)
    ocr = get_engine("tesseract").recognize(images[0])
    original = path.read_bytes()
    ours = workdir / f"{path.stem}.ocrgate.pdf"
    write_image_pdf(images, ocr.pages, ours, original)
    write_ms = timed(lambda: write_image_pdf(images, ocr.pages, io.BytesIO(), original), repeat)
    stem = workdir / f"{path.stem}.tesseract"
    pdf_ms = timed(lambda: subprocess.run(["tesseract", str(path), str(stem), "pdf"], check=True,
                                          capture_output=True), tesseract_repeat)
    txt_ms = timed(lambda: subprocess.run(["tesseract", str(path), str(stem), "txt"], check=True,
                                          capture_output=True), tesseract_repeat)
    return {"page": path.name, "pixels": f"{images[0].width}x{images[0].height}",
            "words": sum(1 for _ in ocr.words), "ocrgate_write_ms": round(write_ms, 2),
            "tesseract_pdf_ms": round(pdf_ms, 1), "tesseract_txt_ms": round(txt_ms, 1),
            "ocrgate_readback": read_back(ours, ocr.pages[0]),
            "tesseract_readback": read_back(Path(f"{stem}.pdf"), ocr.pages[0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5, help="runs of our writer per page (median)")
    parser.add_argument("--tesseract-repeat", type=int, default=3, help="runs of tesseract per page (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ocrgate-bench-") as tmp:
        workdir = Path(tmp)
        pages = sorted((ROOT / "samples").glob("*.jpg"))
        for index, lines in enumerate(RENDERED_LINES):
            rendered = workdir / f"rendered{index}.png"
            render(lines).save(rendered, dpi=(RENDER_DPI, RENDER_DPI))
            pages.append(rendered)
        rows = [bench_page(page, args.repeat, args.tesseract_repeat, workdir) for page in pages]
    report = {"pages": rows,
              "ocrgate_write_ms_per_page_median": round(statistics.median(r["ocrgate_write_ms"] for r in rows), 2),
              "tesseract_pdf_ms_per_page_median": round(statistics.median(r["tesseract_pdf_ms"] for r in rows), 1),
              "tesseract_pdf_renderer_ms_estimate_median": round(statistics.median(
                  r["tesseract_pdf_ms"] - r["tesseract_txt_ms"] for r in rows), 1),
              "repeat": args.repeat, "tesseract_repeat": args.tesseract_repeat,
              "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "note": ("2 shared cores with other jobs running. pdftotext's reading order joins words "
                       "hyphenated at line ends (dehyphenation): such pairs count as not found.")}
    out = ROOT / "benchmarks" / "results" / "pdf_textlayer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
