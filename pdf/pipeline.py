"""Make a searchable PDF from an image, a multi-page TIFF or an image-only PDF.

Everything is read and recognised first; the output is written to a temporary file beside
the target and renamed over it only when complete, so a failure never leaves a partial PDF.
For PDF input the original pages are kept as they are (content, images, metadata): the text
layer is added on top and nothing is re-encoded. Pages that already show text are left
alone. Active content (JavaScript, launch actions, embedded files) is removed unless kept on
request (`pdf.sanitize`). Pages are read one by one, or on an `Executor` given by the caller.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, Protocol

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
from pdf.intake import PdfLimits, check_render_budget, crop_box, is_pdf, open_pdf, pages_with_text
from pdf.rasterize import RASTER_DPI, render_page
from pdf.sanitize import remove_active_content
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
    removed: Counter[str] = field(default_factory=Counter)  # active content removed, by kind (pdf.sanitize)


class PageProgress(Protocol):
    """Told how many pages a document will read, then of each page read (a progress bar)."""

    def planned(self, pages: int) -> None: ...

    def read(self) -> None: ...


@dataclass(frozen=True)
class Reading:
    """How pages are read: on `executor` (None: one by one, here), telling `progress`."""

    executor: Executor | None = None
    progress: PageProgress | None = None


def make_searchable(
    source: Path,
    output: Path,
    engine: OcrEngine,
    options: RecognizeOptions | None = None,
    dpi: int = RASTER_DPI,
    image_limits: ImageLimits | None = None,
    pdf_limits: PdfLimits | None = None,
    *,
    reading: Reading | None = None,
    keep_active_content: bool = False,
) -> PdfReport:
    """Write `output`: `source` (image or PDF) with a hidden text layer from `engine`.

    `dpi` is the resolution PDF pages are rendered at for the engine. A PDF's active content is
    removed (and counted in the report) unless `keep_active_content`.
    Raises `OcrInputError` (`PdfInputError` for PDFs) for unusable input.
    """
    source, output = Path(source), Path(output)
    options = options or RecognizeOptions()
    image_limits = image_limits or ImageLimits.from_env()
    reading = reading or Reading()
    if not output.parent.is_dir():
        raise OcrInputError(f"{output.parent}: output folder does not exist")
    require_regular_file(source)
    if source.suffix.lower() == PDF_SUFFIX or is_pdf(source):
        return _searchable_pdf(
            source,
            output,
            engine,
            options,
            dpi,
            image_limits,
            pdf_limits or PdfLimits.from_env(),
            reading,
            keep_active_content,
        )
    return _searchable_image(source, output, engine, options, image_limits, reading)


def _searchable_image(
    source: Path, output: Path, engine: OcrEngine, options: RecognizeOptions, limits: ImageLimits, reading: Reading
) -> PdfReport:
    images = load_pages(source, limits)
    ocr_pages = _read_pages(engine, [_ready(image) for image in images], options, reading)
    original = source.read_bytes() if len(images) == 1 else b""
    write_image_pdf(images, ocr_pages, output, original)
    return PdfReport(
        pages=len(images),
        words=sum(1 for page in ocr_pages for _ in page.words),
        read=list(enumerate(ocr_pages, start=1)),
    )


def write_image_pdf(
    images: list[PageImage], ocr_pages: list[Page], output: Path | BinaryIO, original: bytes = b""
) -> None:
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


def _searchable_pdf(
    source: Path,
    output: Path,
    engine: OcrEngine,
    options: RecognizeOptions,
    dpi: int,
    image_limits: ImageLimits,
    pdf_limits: PdfLimits,
    reading: Reading,
    keep_active_content: bool,
) -> PdfReport:
    report = PdfReport()
    with open_pdf(source, pdf_limits) as pdf:
        check_render_budget(pdf, source, dpi, image_limits, pdf_limits)
        report.pages = len(pdf.pages)
        report.skipped_pages = pages_with_text(pdf)
        numbers = [number for number in range(1, report.pages + 1) if number not in report.skipped_pages]
        renders = [partial(render_page, source, number, dpi) for number in numbers]
        font = GlyphlessFont(pdf)
        for number, ocr_page in zip(numbers, _read_pages(engine, renders, options, reading), strict=True):
            page = pdf.pages[number - 1]
            attach_text_layer(page, ocr_page, font, crop_box(page), page.rotation)
            report.words += sum(1 for _ in ocr_page.words)
            report.read.append((number, ocr_page))
        font.finish()
        if not keep_active_content:
            report.removed = remove_active_content(pdf)
        save_atomically(pdf, output)
    return report


def _ready(image: PageImage) -> Callable[[], PageImage]:
    return lambda: image


def _read_pages(
    engine: OcrEngine, pages: Sequence[Callable[[], PageImage]], options: RecognizeOptions, reading: Reading
) -> list[Page]:
    """What `engine` reads on each of `pages` (each made when its turn comes), in their order;
    the first failure stops the document."""
    progress = reading.progress
    if progress:
        progress.planned(len(pages))

    def read(page: Callable[[], PageImage]) -> Page:
        return observe(engine, page(), options).value().pages[0]

    if reading.executor is None:
        results = []
        for page in pages:
            results.append(read(page))
            if progress:
                progress.read()
        return results
    futures: list[Future[Page]] = [reading.executor.submit(read, page) for page in pages]
    try:
        for future in as_completed(futures):
            future.result()  # raises the page's error
            if progress:
                progress.read()
    finally:
        for future in futures:
            future.cancel()  # pages not started yet, after a failure
    return [future.result() for future in futures]


def save_atomically(pdf: pikepdf.Pdf, output: Path) -> None:
    """Save to a new temporary file in `output`'s folder, then rename it over `output`.

    The temporary file is created like any new file (so the umask sets its permissions) under
    a random name (`kernel.atomic`). Streams are written as they are (no decoding, no recompression), so images
    keep their original bytes; only our new, uncompressed streams are compressed.
    """
    try:
        with atomic.atomic_path(output) as temporary, open(temporary, "wb") as handle:
            pdf.save(
                handle,
                stream_decode_level=pikepdf.StreamDecodeLevel.none,
                recompress_flate=False,
                compress_streams=True,
            )
    except OSError as exc:
        raise OcrInputError(f"{output}: cannot write the PDF ({exc.strerror or exc})") from exc
