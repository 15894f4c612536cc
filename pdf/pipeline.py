"""Make a searchable PDF from an image, a multi-page TIFF or an image-only PDF.

Everything is read and recognised first; the output is written to a temporary file beside
the target and renamed over it only when complete, so a failure never leaves a partial PDF.
For PDF input the original pages are kept as they are (content, images, metadata): the text
layer is added on top and nothing is re-encoded. Pages that already show text are left
alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pikepdf

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import Page
from imaging import ImageLimits, PageImage, load_pages
from imaging.intake import require_regular_file
from kernel import atomic
from kernel.errors import OcrInputError
from kernel.observe import observe
from pdf.fonts import GlyphlessFont
from pdf.images import add_image_page, embed_jpeg, embed_pixels
from pdf.intake import PdfLimits, check_render_budget, crop_box, is_pdf, open_pdf, page_has_text
from pdf.rasterize import RASTER_DPI, render_page
from pdf.textlayer import attach_text_layer

PRODUCER = "ocrgate"
PDF_SUFFIX = ".pdf"


@dataclass
class PdfReport:
    """What `make_searchable` did: pages in the output, what was read, pages left as they were."""

    pages: int = 0
    words: int = 0
    skipped_pages: list[int] = field(default_factory=list)  # 1-based; they already had text
    read: list[tuple[int, Page]] = field(default_factory=list)  # (1-based number, what the engine read)


def make_searchable(source: Path, output: Path, engine: OcrEngine, options: RecognizeOptions | None = None,
                    dpi: int = RASTER_DPI, image_limits: ImageLimits | None = None,
                    pdf_limits: PdfLimits | None = None) -> PdfReport:
    """Write `output`: `source` (image or PDF) with a hidden text layer from `engine`.

    `dpi` is the resolution PDF pages are rendered at for the engine.
    Raises `OcrInputError` (`PdfInputError` for PDFs) for unusable input.
    """
    source, output = Path(source), Path(output)
    options = options or RecognizeOptions()
    image_limits = image_limits or ImageLimits.from_env()
    if not output.parent.is_dir():
        raise OcrInputError(f"{output.parent}: output folder does not exist")
    require_regular_file(source)
    if source.suffix.lower() == PDF_SUFFIX or is_pdf(source):
        return _searchable_pdf(source, output, engine, options, dpi, image_limits,
                               pdf_limits or PdfLimits.from_env())
    return _searchable_image(source, output, engine, options, image_limits)


def _searchable_image(source: Path, output: Path, engine: OcrEngine, options: RecognizeOptions,
                      limits: ImageLimits) -> PdfReport:
    images = load_pages(source, limits)
    ocr_pages = [_read(engine, image, options) for image in images]
    original = source.read_bytes() if len(images) == 1 else b""
    write_image_pdf(images, ocr_pages, output, original)
    return PdfReport(pages=len(images), words=sum(1 for page in ocr_pages for _ in page.words),
                     read=list(enumerate(ocr_pages, start=1)))


def write_image_pdf(images: list[PageImage], ocr_pages: list[Page], output: Path | BinaryIO,
                    original: bytes = b"") -> None:
    """A PDF of `images`, one per page, each under its `ocr_pages` text layer.

    `original`: the file's bytes when it holds exactly these images; a JPEG is then embedded
    as it is. `output`: a path (written atomically) or a binary stream.
    """
    with pikepdf.new() as pdf:
        font = GlyphlessFont(pdf)
        for image, ocr_page in zip(images, ocr_pages, strict=True):
            embedded = embed_jpeg(pdf, original) or embed_pixels(pdf, image)
            page = add_image_page(pdf, embedded, image.dpi)
            attach_text_layer(page, ocr_page, font, crop_box(page), embedded.rotation)
        font.finish()
        pdf.docinfo[pikepdf.Name.Producer] = PRODUCER
        if isinstance(output, Path):
            save_atomically(pdf, output)
        else:
            pdf.save(output)


def _searchable_pdf(source: Path, output: Path, engine: OcrEngine, options: RecognizeOptions,
                    dpi: int, image_limits: ImageLimits, pdf_limits: PdfLimits) -> PdfReport:
    report = PdfReport()
    with open_pdf(source, pdf_limits) as pdf:
        check_render_budget(pdf, source, dpi, image_limits, pdf_limits)
        font = GlyphlessFont(pdf)
        for number, page in enumerate(pdf.pages, start=1):
            report.pages += 1
            if page_has_text(page):
                report.skipped_pages.append(number)
                continue
            ocr_page = _read(engine, render_page(source, number, dpi), options)
            attach_text_layer(page, ocr_page, font, crop_box(page), page.rotation)
            report.words += sum(1 for _ in ocr_page.words)
            report.read.append((number, ocr_page))
        font.finish()
        save_atomically(pdf, output)
    return report


def _read(engine: OcrEngine, image: PageImage, options: RecognizeOptions) -> Page:
    return observe(engine, image, options).value().pages[0]


def save_atomically(pdf: pikepdf.Pdf, output: Path) -> None:
    """Save to a new temporary file in `output`'s folder, then rename it over `output`.

    The temporary file is created like any new file (so the umask sets its permissions) under
    a random name (`kernel.atomic`). Streams are written as they are (no decoding, no recompression), so images
    keep their original bytes; only our new, uncompressed streams are compressed.
    """
    try:
        with atomic.atomic_path(output) as temporary, open(temporary, "wb") as handle:
            pdf.save(handle, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                     recompress_flate=False, compress_streams=True)
    except OSError as exc:
        raise OcrInputError(f"{output}: cannot write the PDF ({exc.strerror or exc})") from exc
