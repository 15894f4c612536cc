"""Render PDF pages to pixels with poppler's `pdftoppm`: the one place that runs it.

Pages are rendered one at a time, in gray (what the engines read), over the CropBox and
with the page's `/Rotate` applied, so the image is the page as a viewer shows it.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from imaging import ImageLimits, PageImage
from kernel.errors import EngineUnavailableError, PdfInputError

PDFTOPPM = "pdftoppm"
#: resolution pages are rendered at for OCR: what engines are tuned for on office documents
RASTER_DPI = 300
POINTS_PER_INCH = 72.0
#: seconds allowed to render one page before the PDF is judged too complex
RENDER_TIMEOUT_SECONDS = 120.0


def raster_size(width_pt: float, height_pt: float, dpi: int) -> tuple[int, int]:
    """The pixel size pdftoppm gives a `width_pt`×`height_pt` page at `dpi`."""
    return (
        int(np.ceil(width_pt * dpi / POINTS_PER_INCH - 1e-6)),
        int(np.ceil(height_pt * dpi / POINTS_PER_INCH - 1e-6)),
    )


def check_raster_size(width_pt: float, height_pt: float, dpi: int, limits: ImageLimits, what: str) -> None:
    """Refuse a page whose rendering would exceed the image limits the engines apply."""
    width, height = raster_size(width_pt, height_pt, dpi)
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise PdfInputError(
            f"{what} would render to {width}×{height} pixels at {dpi} dpi, over the "
            f"limit of {limits.max_pixels} pixels; use a lower --dpi"
        )


def render_page(path: Path, number: int, dpi: int = RASTER_DPI, timeout: float = RENDER_TIMEOUT_SECONDS) -> PageImage:
    """Page `number` (1-based) of `path` as 8-bit gray pixels at `dpi`."""
    with tempfile.TemporaryDirectory(prefix="ocrgate-raster-") as tmp:
        stem = Path(tmp) / "page"
        command = [
            PDFTOPPM,
            "-gray",
            "-r",
            str(dpi),
            "-f",
            str(number),
            "-l",
            str(number),
            "-cropbox",
            "-singlefile",
            str(path),
            str(stem),
        ]
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except FileNotFoundError as exc:
            raise EngineUnavailableError(
                f"{PDFTOPPM} is not installed or not on PATH (apt-get install poppler-utils)"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise PdfInputError(f"{path}: page {number} took over {timeout:g} s to render") from exc
        output = stem.with_suffix(".pgm")
        if done.returncode != 0 or not output.exists():
            reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise PdfInputError(
                f"{path}: page {number} cannot be rendered "
                f"({reason[-1] if reason else f'{PDFTOPPM} exit {done.returncode}'})"
            )
        with Image.open(output) as image:
            pixels = np.asarray(image.convert("L"))
    return PageImage(pixels=pixels, source=f"{path}#page={number}", frame=number - 1, dpi=float(dpi))
