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
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from kernel.errors import OcrInputError
from kernel.settings import DEFAULT_MAX_IMAGE_BYTES, DEFAULT_MAX_IMAGE_PIXELS, load_settings

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "TIFF", "WEBP", "BMP"})


@dataclass(frozen=True)
class ImageLimits:
    """Bounds on what we agree to decode (all enforced before decoding pixels)."""

    max_bytes: int = DEFAULT_MAX_IMAGE_BYTES
    max_pixels: int = DEFAULT_MAX_IMAGE_PIXELS  # per frame: ~ an A3 page at 600 dpi
    max_side: int = 30_000
    max_frames: int = 500
    min_side: int = 1

    @classmethod
    def from_env(cls) -> "ImageLimits":
        """Limits overridden by OCRGATE_MAX_IMAGE_PIXELS / OCRGATE_MAX_IMAGE_BYTES (see kernel.settings)."""
        settings = load_settings()
        return cls(max_bytes=settings.max_image_bytes, max_pixels=settings.max_image_pixels)


@dataclass
class PageImage:
    """One decoded page: 8-bit pixels (H×W gray or H×W×3 RGB) plus what we know of its origin."""

    pixels: np.ndarray
    source: str = "<array>"
    frame: int = 0
    dpi: float | None = None
    exif_rotation: int = 0   # degrees clockwise applied from EXIF to make the image upright
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


ImageSource = Union[str, os.PathLike, bytes, bytearray, BinaryIO, np.ndarray, Image.Image, PageImage,
                    list[PageImage]]

_EXIF_ORIENTATION_TO_DEGREES = {3: 180, 6: 90, 8: 270}


def load_first_page(source: ImageSource, limits: ImageLimits | None = None) -> PageImage:
    """Decode only the first frame of `source` (see `load_pages`)."""
    return load_pages(source, limits, max_frames=1)[0]


def load_pages(source: ImageSource, limits: ImageLimits | None = None,
               max_frames: int | None = None) -> list[PageImage]:
    """Decode every frame of `source` into `PageImage`s.

    Raises `OcrInputError` with a one-line reason for empty, truncated,
    unsupported, oversized or bomb-like input.
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
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
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
            f"{limits.max_pixels} pixels (possible decompression bomb); refused before decoding")


def _decode(data: bytes, name: str, limits: ImageLimits, max_frames: int) -> list[PageImage]:
    # Our own limit is checked on the header; Pillow's global bomb check stays as a backstop.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError as exc:
        raise OcrInputError(f"{name}: not an image in a supported format (PNG, JPEG, TIFF, WebP, BMP)") from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise OcrInputError(f"{name}: refused as a possible decompression bomb ({exc})") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise OcrInputError(f"{name}: unreadable image header ({exc})") from exc
    with image:
        if image.format not in SUPPORTED_FORMATS:
            raise OcrInputError(f"{name}: format {image.format} is not supported")
        frame_count = getattr(image, "n_frames", 1)
        if frame_count > limits.max_frames:
            raise OcrInputError(f"{name}: {frame_count} frames, over the limit of {limits.max_frames}")
        pages = []
        for index in range(min(frame_count, max_frames)):
            try:
                image.seek(index)
            except EOFError as exc:
                raise OcrInputError(f"{name}: frame {index} is missing (truncated file)") from exc
            _check_geometry(image.size, limits, name)
            pages.append(_page_from_pil(image, name, index, limits))
    return pages


def _page_from_pil(image: Image.Image, name: str, index: int, limits: ImageLimits) -> PageImage:
    try:
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise OcrInputError(f"{name}: refused as a possible decompression bomb ({exc})") from exc
    except (OSError, ValueError, SyntaxError, EOFError) as exc:
        raise OcrInputError(f"{name}: image data is truncated or corrupt ({exc})") from exc
    dpi = _dpi_of(image)
    orientation = image.getexif().get(0x0112, 1) if hasattr(image, "getexif") else 1
    upright = ImageOps.exif_transpose(image) if orientation != 1 else image
    pixels = _to_8bit(upright)
    _check_geometry((pixels.shape[1], pixels.shape[0]), limits, name)
    return PageImage(pixels=pixels, source=name, frame=index, dpi=dpi,
                     exif_rotation=_EXIF_ORIENTATION_TO_DEGREES.get(orientation, 0),
                     metadata={"format": image.format, "mode": image.mode})


def _dpi_of(image: Image.Image) -> float | None:
    dpi = image.info.get("dpi")
    if not dpi:
        return None
    try:
        value = float(dpi[0])
    except (TypeError, ValueError, IndexError):
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
