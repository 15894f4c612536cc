"""A job's document → its pages: images (every frame of a TIFF) decoded at intake, PDF pages
rendered one at a time by the worker that reads them. Every limit is the one `imaging/` and
`pdf/` already enforce for the same input; bad input is refused before anything is stored."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from imaging import ImageLimits, PageImage, load_pages, page_png
from kernel.errors import OcrInputError, PdfInputError
from pdf.intake import HEADER_SEARCH_BYTES, PDF_MAGIC, PdfLimits, check_render_budget, open_pdf
from pdf.rasterize import RASTER_DPI, render_page

#: the name an uploaded PDF has in messages (the temporary folder it is read from is not shown)
PDF_NAME = "document.pdf"


@dataclass(frozen=True)
class Document:
    """What a job keeps of its upload: `kind` image (its pages as PNGs) or pdf (the file, `pages` long)."""

    kind: str
    pages: int
    page_pngs: tuple[bytes, ...] = ()
    pdf: bytes | None = None


def split(data: bytes, image_limits: ImageLimits | None = None, pdf_limits: PdfLimits | None = None) -> Document:
    """The pages of `data` (an image, a multi-page TIFF or a PDF); `OcrInputError` with a one-line
    reason when it cannot be read or breaks a limit."""
    image_limits = image_limits or ImageLimits.from_env()
    if PDF_MAGIC in data[:HEADER_SEARCH_BYTES]:
        pdf_limits = pdf_limits or PdfLimits.from_env()
        with _pdf_file(data) as path:
            with open_pdf(path, pdf_limits) as pdf:
                check_render_budget(pdf, path, RASTER_DPI, image_limits, pdf_limits)
                return Document("pdf", len(pdf.pages), pdf=data)
    images = load_pages(data, image_limits)  # every frame, within the total pixel budget
    return Document("image", len(images), page_pngs=tuple(page_png(image) for image in images))


def render(pdf: bytes, number: int) -> PageImage:
    """Page `number` (1-based) of a PDF that `split` accepted, as the engines read it."""
    with _pdf_file(pdf) as path:
        return render_page(path, number, RASTER_DPI)


@contextmanager
def _pdf_file(data: bytes) -> Iterator[Path]:
    """`data` as a file that poppler and qpdf can read; errors name it `document.pdf`, not its folder."""
    with tempfile.TemporaryDirectory(prefix="ocrgate-job-") as folder:
        path = Path(folder) / PDF_NAME
        path.write_bytes(data)
        try:
            yield path
        except PdfInputError as exc:
            raise PdfInputError(str(exc).replace(f"{folder}/", "")) from exc.__cause__
        except OcrInputError as exc:
            raise OcrInputError(str(exc).replace(f"{folder}/", "")) from exc.__cause__
