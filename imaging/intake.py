"""Decode untrusted images into `PageImage`s, refusing bombs before any pixel is decoded.

Accepted sources: a path, raw bytes, a binary file object, a numpy array, a PIL image
or an existing `PageImage`. Formats: PNG, JPEG, TIFF (every frame), WebP, BMP.
EXIF orientation is applied; palette/alpha/16-bit/CMYK images are normalised to
8-bit grayscale (`L`) or `RGB`, alpha composited over white.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kernel.errors import OcrInputError
from kernel.settings import (
    DEFAULT_MAX_IMAGE_BYTES,
    DEFAULT_MAX_IMAGE_FRAMES,
    DEFAULT_MAX_IMAGE_PIXELS,
    DEFAULT_MAX_TOTAL_PIXELS,
    load_settings,
)

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "TIFF", "WEBP", "BMP"})
#: formats whose frames each have a header of their own, read by seeking (no pixel decoded); the
#: frames of an animated PNG or WebP share one canvas, and seeking them decodes the frames before
FRAMES_WITH_HEADERS = frozenset({"TIFF", "MPO"})
#: what Pillow raises on malformed bytes besides its own errors (its `open` treats the same set
#: as "not this format"); all of it is bad input
_DECODER_ERRORS = (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError, struct.error)


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on what we agree to decode (all enforced on headers, before decoding pixels)."""

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS  # per frame: ~ an A3 page at 600 dpi
    max_side: int = 30_000
    max_frames: int = DEFAULT_MAX_IMAGE_FRAMES
    max_total_pixels: int = DEFAULT_MAX_TOTAL_PIXELS  # summed over the frames decoded from one input
    min_side: int = 1

    @classmethod
    def from_env(cls) -> ImageLimits:
        """Limits from OCRGATE_MAX_IMAGE_BYTES, _PIXELS, _FRAMES and OCRGATE_MAX_TOTAL_PIXELS (see kernel.settings)."""
        settings = load_settings()
        return cls(
            max_bytes=settings.max_image_bytes,
            max_pixels=settings.max_image_pixels,
            max_frames=settings.max_image_frames,
            max_total_pixels=settings.max_total_pixels,
        )


@dataclass
class PageImage:
    """One decoded page: 8-bit pixels (H×W gray or H×W×3 RGB) plus what we know of its origin."""

    pixels: np.ndarray
    source: str = "<array>"
    frame: int = 0
    dpi: float | None = None
    exif_rotation: int = 0  # degrees clockwise applied from EXIF to make the image upright
    metadata: dict = field(default_factory=dict)

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    def gray(self) -> np.ndarray:
        """The page as an H×W uint8 grayscale array."""
        if self.pixels.ndim == 2:
            return self.pixels
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return np.clip(self.pixels.astype(np.float32) @ weights + 0.5, 0, 255).astype(np.uint8)


ImageSource = str | os.PathLike | bytes | bytearray | BinaryIO | np.ndarray | Image.Image | PageImage | list[PageImage]

_EXIF_ORIENTATION_TO_DEGREES = {3: 180, 6: 90, 8: 270}


def load_first_page(source: ImageSource, limits: ImageLimits | None = None) -> PageImage:
    """Decode only the first frame of `source` (see `load_pages`); later frames are neither decoded
    nor counted against the pixel budget."""
    return load_pages(source, limits, max_frames=1)[0]


def load_pages(
    source: ImageSource, limits: ImageLimits | None = None, max_frames: int | None = None
) -> list[PageImage]:
    """Decode every frame of `source` (at most `max_frames`) into `PageImage`s.

    Raises `OcrInputError` with a one-line reason for empty, truncated, unsupported, oversized or
    bomb-like input; sizes, frame counts and the total pixel budget are checked on the headers of
    every frame to decode before the first pixel is.
    """
    limits = limits or ImageLimits.from_env()
    if isinstance(source, PageImage):
        return [source]
    if isinstance(source, (list, tuple)) and source and all(isinstance(p, PageImage) for p in source):
        return list(source)  # already decoded (e.g. validated once by the service)
    if isinstance(source, np.ndarray):
        return [_page_from_array(source, limits)]
    if isinstance(source, Image.Image):
        _check_geometry(source.size, limits, "<image>")
        return [_page_from_pil(source, "<image>", 0, limits)]
    data, name = _read_bytes(source, limits)
    return _decode(data, name, limits, max_frames or limits.max_frames)


def require_regular_file(path: Path) -> os.stat_result:
    """`path`'s status if it is a regular file. A directory, FIFO, socket or device (whose size
    `stat` cannot tell, and which may block or never end) is refused before anything opens it."""
    try:
        info = path.stat()
    except OSError as exc:
        raise OcrInputError(f"{path}: cannot read file ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise OcrInputError(f"{path}: not a regular file ({_file_kind(info.st_mode)})")
    return info


def _read_regular_file(path: Path, limits: ImageLimits) -> bytes:
    """The bytes of a regular file, never more than the limit."""
    name = str(path)
    info = require_regular_file(path)
    try:
        if info.st_size > limits.max_bytes:
            raise OcrInputError(f"{name}: file is {info.st_size} bytes, over the {limits.max_bytes}-byte limit")
        with open(path, "rb") as handle:
            return handle.read(limits.max_bytes + 1)  # a file that grew since stat is still capped
    except OSError as exc:
        raise OcrInputError(f"{name}: cannot read file ({exc.strerror or exc})") from exc


def _file_kind(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((label for test, label in kinds if test(mode)), "not a plain file")


def _read_bytes(source: ImageSource, limits: ImageLimits) -> tuple[bytes, str]:
    if isinstance(source, (bytes, bytearray)):
        data, name = bytes(source), "<bytes>"
    elif isinstance(source, (str, os.PathLike)):
        path = Path(source)
        name = str(path)
        data = _read_regular_file(path, limits)
    elif hasattr(source, "read"):
        name = getattr(source, "name", "<stream>")
        data = source.read(limits.max_bytes + 1)
    else:
        raise OcrInputError(f"unsupported image source of type {type(source).__name__}")
    if not data:
        raise OcrInputError(f"{name}: empty input (0 bytes)")
    if len(data) > limits.max_bytes:
        raise OcrInputError(f"{name}: input is over the {limits.max_bytes}-byte limit")
    return data, name


def _check_geometry(size: tuple[int, int], limits: ImageLimits, name: str) -> None:
    width, height = size
    if width < limits.min_side or height < limits.min_side:
        raise OcrInputError(f"{name}: image has no pixels ({width}×{height})")
    if width > limits.max_side or height > limits.max_side or width * height > limits.max_pixels:
        raise OcrInputError(
            f"{name}: image is {width}×{height} = {width * height} pixels, over the limit of "
            f"{limits.max_pixels} pixels (possible decompression bomb); refused before decoding"
        )


@contextmanager
def _decoding(name: str, what: str) -> Iterator[None]:
    """Pillow's failures on untrusted bytes as one-line `OcrInputError`s; its bomb warning is an error."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            yield
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise OcrInputError(f"{name}: refused as a possible decompression bomb ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise OcrInputError(f"{name}: not an image in a supported format (PNG, JPEG, TIFF, WebP, BMP)") from exc
    except _DECODER_ERRORS as exc:
        raise OcrInputError(f"{name}: {what} ({_first_line(exc)})") from exc


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _decode(data: bytes, name: str, limits: ImageLimits, max_frames: int) -> list[PageImage]:
    # Our own limits are checked on the headers; Pillow's global bomb check stays as a backstop.
    with _decoding(name, "unreadable image header"):
        image = Image.open(io.BytesIO(data))
    with image:
        if image.format not in SUPPORTED_FORMATS:
            raise OcrInputError(f"{name}: format {image.format} is not supported")
        with _decoding(name, "unreadable frame header"):
            sizes = _frame_sizes(image, limits, name)[:max_frames]
        _check_budget(sizes, limits, name)
        pages = []
        for index in range(len(sizes)):
            with _decoding(name, f"frame {index} is missing or corrupt"):
                image.seek(index)
            _check_geometry(image.size, limits, name)
            pages.append(_page_from_pil(image, name, index, limits))
    return pages


def _frame_sizes(image: Image.Image, limits: ImageLimits, name: str) -> list[tuple[int, int]]:
    """Every frame's (width, height), from headers only; more than `limits.max_frames` is refused."""
    if image.format not in FRAMES_WITH_HEADERS:
        count = getattr(image, "n_frames", 1)  # from the header (APNG acTL, WebP): one canvas
        if count > limits.max_frames:
            raise OcrInputError(f"{name}: {count} frames, over the limit of {limits.max_frames} frames")
        return [image.size] * count
    # frame by frame: Pillow's n_frames would walk a TIFF's whole chain of directories (quadratic)
    sizes = [image.size]
    while True:
        try:
            image.seek(len(sizes))
        except EOFError:
            break
        sizes.append(image.size)
        if len(sizes) > limits.max_frames:
            raise OcrInputError(
                f"{name}: more than {limits.max_frames} frames, over the limit of {limits.max_frames} frames"
            )
    image.seek(0)
    return sizes


def _check_budget(sizes: list[tuple[int, int]], limits: ImageLimits, name: str) -> None:
    """Each frame within the per-frame limits, and all of them within the input's pixel budget."""
    for size in sizes:
        _check_geometry(size, limits, name)
    total = sum(width * height for width, height in sizes)
    if total > limits.max_total_pixels:
        raise OcrInputError(
            f"{name}: {len(sizes)} frames hold a total of {total} pixels, over the limit of "
            f"{limits.max_total_pixels} pixels per image (OCRGATE_MAX_TOTAL_PIXELS); refused before decoding"
        )


def _page_from_pil(image: Image.Image, name: str, index: int, limits: ImageLimits) -> PageImage:
    with _decoding(name, "image data is truncated or corrupt"):
        image.load()
    dpi = _dpi_of(image)
    orientation = image.getexif().get(0x0112, 1) if hasattr(image, "getexif") else 1
    upright = ImageOps.exif_transpose(image) if orientation != 1 else image
    pixels = _to_8bit(upright)
    _check_geometry((pixels.shape[1], pixels.shape[0]), limits, name)
    return PageImage(
        pixels=pixels,
        source=name,
        frame=index,
        dpi=dpi,
        exif_rotation=_EXIF_ORIENTATION_TO_DEGREES.get(orientation, 0),
        metadata={"format": image.format, "mode": image.mode},
    )


def _dpi_of(image: Image.Image) -> float | None:
    """The horizontal resolution in whole dots per inch (what engines use), or None. Whole numbers
    survive PNG's pixels-per-metre (`imaging.normalise`) exactly; 300 dpi there reads 299.9994."""
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    try:
        value = float(round(float(dpi[0])))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return value if value > 0 else None


def _to_8bit(image: Image.Image) -> np.ndarray:
    mode = image.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        top = arr.max() if arr.size and arr.max() > 255 else 255.0
        return np.clip(arr * (255.0 / top), 0, 255).astype(np.uint8)
    if mode == "F":
        arr = np.asarray(image, dtype=np.float64)
        return np.clip(arr, 0, 255).astype(np.uint8)
    if mode in ("RGBA", "LA", "PA") or (mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    if mode in ("1", "L"):
        return np.asarray(image.convert("L"))
    return np.asarray(image.convert("RGB"))


def _page_from_array(array: np.ndarray, limits: ImageLimits) -> PageImage:
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 3 and array.shape[2] == 4:
        array = _to_8bit(Image.fromarray(array.astype(np.uint8), "RGBA"))
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise OcrInputError(f"array of shape {array.shape} is not a gray or RGB image")
    _check_geometry((array.shape[1], array.shape[0]), limits, "<array>")
    if array.dtype != np.uint8:
        if array.dtype == np.bool_:
            array = array.astype(np.uint8) * 255
        else:
            array = np.clip(array, 0, 255).astype(np.uint8)
    return PageImage(pixels=np.ascontiguousarray(array))
