"""Open untrusted input PDFs, refusing what we cannot or should not process.

The one place that decides whether a PDF is acceptable: it must be a PDF that qpdf reads
without having to repair it, not encrypted, and within `PdfLimits` (bytes, pages, page size, and
the pixels its pages render to, each page and all of them together). Every refusal is a
`PdfInputError` (exit code 2) with a one-line reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pikepdf

from imaging import ImageLimits
from kernel.errors import PdfInputError
from kernel.settings import DEFAULT_MAX_PDF_BYTES, DEFAULT_MAX_PDF_PAGES, DEFAULT_MAX_PDF_PIXELS, load_settings
from pdf.rasterize import check_raster_size, raster_size

PDF_MAGIC = b"%PDF-"
#: the PDF header may follow a little junk; readers look this far for it
HEADER_SEARCH_BYTES = 1024
#: the largest page side PDF allows (ISO 32000: 14,400 units = 200 inches)
MAX_PAGE_SIDE_POINTS = 14_400.0
#: how deep to follow Form XObjects when looking for existing text
MAX_FORM_DEPTH = 8
#: the most one stream may decode to in this process: a few kilobytes of Flate (or run-length, or
#: a predictor) can expand a thousandfold. qpdf's limits are process-wide, so they are set once, here.
MAX_DECODED_STREAM_BYTES = 64 * 1024 * 1024
pikepdf.settings.set_qpdf_limits(
    flate_max_memory=MAX_DECODED_STREAM_BYTES,
    run_length_max_memory=MAX_DECODED_STREAM_BYTES,
    png_max_memory=MAX_DECODED_STREAM_BYTES,
    tiff_max_memory=MAX_DECODED_STREAM_BYTES,
)
#: compared as bytes: an operator need not be UTF-8 (`str()` of one that is not raises)
_TEXT_OPERATORS = frozenset({b"Tj", b"TJ", b"'", b'"'})


@dataclass(frozen=True)
class PdfLimits:
    """Bounds on input PDFs, checked before any page is rendered."""

    max_bytes: int = DEFAULT_MAX_PDF_BYTES
    max_pages: int = DEFAULT_MAX_PDF_PAGES
    max_page_side_points: float = MAX_PAGE_SIDE_POINTS
    #: pixels rendered over all pages of one PDF (one page at a time: this bounds work, not memory)
    max_total_pixels: int = DEFAULT_MAX_PDF_PIXELS

    @classmethod
    def from_env(cls) -> PdfLimits:
        """Limits from OCRGATE_MAX_PDF_BYTES, _PAGES and _PIXELS (see kernel.settings)."""
        settings = load_settings()
        return cls(
            max_bytes=settings.max_pdf_bytes, max_pages=settings.max_pdf_pages, max_total_pixels=settings.max_pdf_pixels
        )


def is_pdf(path: Path) -> bool:
    """Whether `path` starts like a PDF (within the first HEADER_SEARCH_BYTES)."""
    try:
        with open(path, "rb") as handle:
            return PDF_MAGIC in handle.read(HEADER_SEARCH_BYTES)
    except OSError:
        return False


def open_pdf(path: Path, limits: PdfLimits | None = None) -> pikepdf.Pdf:
    """Open `path` for OCR, or raise `PdfInputError` saying why it cannot be used."""
    limits = limits or PdfLimits.from_env()
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PdfInputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if size > limits.max_bytes:
        raise PdfInputError(f"{path}: file is {size} bytes, over the {limits.max_bytes}-byte limit")
    if not is_pdf(path):
        raise PdfInputError(f"{path}: not a PDF (no %PDF- header)")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PasswordError as exc:
        raise PdfInputError(f"{path}: the PDF is encrypted (password protected); decrypt it first") from exc
    except (pikepdf.PdfError, OSError, RuntimeError) as exc:
        raise PdfInputError(f"{path}: malformed PDF that cannot be repaired ({_first_line(exc)})") from exc
    try:
        _check(pdf, path, limits)
    except BaseException:
        pdf.close()
        raise
    return pdf


def _check(pdf: pikepdf.Pdf, path: Path, limits: PdfLimits) -> None:
    repairs = pdf.get_warnings()
    if repairs:
        # a damaged file qpdf patched up may be missing data (truncated images, lost pages)
        raise PdfInputError(
            f"{path}: malformed PDF ({_strip_path(repairs[0], path)}); if the damage is "
            f"harmless, repair it first: qpdf {path} repaired.pdf"
        )
    if pdf.is_encrypted:
        raise PdfInputError(f"{path}: the PDF is encrypted; decrypt it first (e.g. qpdf --decrypt)")
    try:
        count = len(pdf.pages)
    except (pikepdf.PdfError, RuntimeError) as exc:
        raise PdfInputError(f"{path}: malformed PDF, its page tree is broken ({_first_line(exc)})") from exc
    if count == 0:
        raise PdfInputError(f"{path}: the PDF has no pages (truncated or malformed)")
    if count > limits.max_pages:
        raise PdfInputError(f"{path}: {count} pages, over the limit of {limits.max_pages}")
    for number, page in enumerate(pdf.pages, start=1):
        x0, y0, x1, y1 = crop_box(page)
        width, height = x1 - x0, y1 - y0
        if width <= 0 or height <= 0:
            raise PdfInputError(f"{path}: page {number} has an empty page box ({width:g}×{height:g} pt)")
        if max(width, height) > limits.max_page_side_points:
            raise PdfInputError(
                f"{path}: page {number} is {width:g}×{height:g} pt, over the limit of "
                f"{limits.max_page_side_points:g} pt per side"
            )


def check_render_budget(pdf: pikepdf.Pdf, path: Path, dpi: int, image_limits: ImageLimits, limits: PdfLimits) -> None:
    """Refuse, before any page is rendered, a PDF whose pages would render at `dpi` past the image
    limits one by one or past `limits.max_total_pixels` together."""
    total = 0
    for number, page in enumerate(pdf.pages, start=1):
        x0, y0, x1, y1 = crop_box(page)
        check_raster_size(x1 - x0, y1 - y0, dpi, image_limits, f"{path}: page {number}")
        width, height = raster_size(x1 - x0, y1 - y0, dpi)
        total += width * height
    if total > limits.max_total_pixels:
        raise PdfInputError(
            f"{path}: {len(pdf.pages)} pages would render to {total} pixels at {dpi} dpi, over the "
            f"limit of {limits.max_total_pixels} (OCRGATE_MAX_PDF_PIXELS); use a lower --dpi"
        )


def crop_box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    """The page's visible area in user space: its CropBox clipped to its MediaBox (as viewers
    and pdftoppm show it), normalised so x0 < x1 and y0 < y1."""
    crop, media = _box(page.cropbox), _box(page.mediabox)
    return (max(crop[0], media[0]), max(crop[1], media[1]), min(crop[2], media[2]), min(crop[3], media[3]))


def _box(values: pikepdf.Array) -> tuple[float, float, float, float]:
    try:
        a, b, c, d = (float(v) for v in values)
    except (ValueError, TypeError, pikepdf.PdfError) as exc:
        raise PdfInputError(f"malformed PDF: a page box is not four numbers ({exc})") from exc
    return min(a, c), min(b, d), max(a, c), max(b, d)


def pages_with_text(pdf: pikepdf.Pdf) -> list[int]:
    """The 1-based numbers of the pages that already show text (their own content or Form XObjects
    they draw)."""
    finder = _TextFinder()
    try:
        return [number for number, page in enumerate(pdf.pages, start=1) if finder.shows_text(page.obj)]
    except (pikepdf.PdfError, RuntimeError) as exc:
        raise PdfInputError(
            f"malformed PDF: a content stream cannot be parsed ({_first_line(exc)}; a stream may "
            f"decode to at most {MAX_DECODED_STREAM_BYTES >> 20} MiB)"
        ) from exc


class _TextFinder:
    """Looks for text operators once per document: each content stream is parsed once, however many
    pages share it, and each form once per depth it is first reached at (forms that draw each other
    many times would otherwise be walked exponentially often)."""

    def __init__(self) -> None:
        self._streams: dict[tuple[int, int], bool] = {}  # content stream → shows text itself
        self._forms: dict[tuple[int, int], tuple[int, bool]] = {}  # form → (shallowest depth, shows text)

    def shows_text(self, page: pikepdf.Dictionary) -> bool:
        contents = page.get("/Contents")
        streams = contents if isinstance(contents, pikepdf.Array) else [contents]
        # a page's content may be split over streams only between tokens: each is parsed alone
        return any(self._operates(s) for s in streams if isinstance(s, pikepdf.Stream)) or self._draws_text(page, 0)

    def _operates(self, stream: pikepdf.Stream) -> bool:
        key = stream.objgen
        if key not in self._streams:
            operators = (instruction.operator.unparse() for instruction in pikepdf.parse_content_stream(stream))
            self._streams[key] = any(op in _TEXT_OPERATORS for op in operators)
        return self._streams[key]

    def _draws_text(self, holder: pikepdf.Object, depth: int) -> bool:
        """Whether a form in `holder`'s resources shows text, following forms to MAX_FORM_DEPTH."""
        if depth >= MAX_FORM_DEPTH:
            return False
        resources = holder.get("/Resources")
        xobjects = None if resources is None else resources.get("/XObject")
        for form in () if xobjects is None else xobjects.values():
            if not (isinstance(form, pikepdf.Stream) and form.get("/Subtype") == pikepdf.Name.Form):
                continue
            reached, shown = self._forms.get(form.objgen, (MAX_FORM_DEPTH + 1, False))
            if not shown and reached > depth + 1:
                shown = self._operates(form) or self._draws_text(form, depth + 1)
                self._forms[form.objgen] = (depth + 1, shown)
            if shown:
                return True
        return False


def _strip_path(message: str, path: Path) -> str:
    return message.removeprefix(f"{path}: ").strip()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
