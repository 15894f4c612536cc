"""Image intake: every kind of bad input gets a clear OcrInputError; good input is normalised."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageFile

from imaging import ImageLimits, load_first_page, load_pages
from kernel.errors import ExitCode, OcrInputError


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width: int = 60_000, height: int = 60_000) -> bytes:
    """A ~KB PNG that claims 3.6 gigapixels: its IDAT is a few rows of zeros, highly compressed."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    idat = zlib.compress(b"\x00" * (width + 1) * 4, 9)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def encode(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **kwargs)
    return buffer.getvalue()


@pytest.mark.parametrize("side", [9_000, 60_000])  # over our limit only; over Pillow's too
def test_bomb_refused_before_pixels_are_decoded(monkeypatch, side):
    decoded = []
    original_load = ImageFile.ImageFile.load

    def spying_load(self):
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spying_load)
    data = bomb_png(side, side)
    assert len(data) < 10_000
    with pytest.raises(OcrInputError, match="decompression bomb"):
        load_pages(data)
    assert decoded == [], "pixels were decoded before the size check"


def test_limit_is_configurable():
    small = encode(Image.new("L", (100, 100), 255), "PNG")
    assert load_first_page(small).width == 100
    with pytest.raises(OcrInputError, match="over the limit"):
        load_pages(small, ImageLimits(max_pixels=5_000))


@pytest.mark.parametrize("data, reason", [
    (b"", "empty"),
    (b"this is not an image at all", "not an image"),
    (b"%PDF-1.7\n1 0 obj\n", "not an image"),
])
def test_bad_bytes(data, reason):
    with pytest.raises(OcrInputError, match=reason) as info:
        load_pages(data)
    assert info.value.exit_code == ExitCode.BAD_INPUT


def test_truncated_png_and_jpeg():
    page = Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300), dtype=np.uint8))
    for fmt in ("PNG", "JPEG"):
        data = encode(page, fmt)
        with pytest.raises(OcrInputError, match="truncated|corrupt|unreadable"):
            load_pages(data[: len(data) // 2])


def test_unsupported_format_is_refused():
    data = encode(Image.new("RGB", (10, 10)), "GIF")
    with pytest.raises(OcrInputError, match="GIF is not supported"):
        load_pages(data)


def test_byte_limit_and_missing_file(tmp_path):
    with pytest.raises(OcrInputError, match="byte limit"):
        load_pages(b"x" * 2000, ImageLimits(max_bytes=1000))
    with pytest.raises(OcrInputError, match="cannot read file"):
        load_pages(tmp_path / "missing.png")


def test_multipage_tiff_gives_every_frame():
    frames = [Image.new("L", (40 + i, 30), 255 - i) for i in range(3)]
    data = encode(frames[0], "TIFF", save_all=True, append_images=frames[1:])
    pages = load_pages(data)
    assert [p.width for p in pages] == [40, 41, 42]
    assert [p.frame for p in pages] == [0, 1, 2]
    assert load_first_page(data).width == 40


def test_exif_orientation_is_applied():
    image = Image.new("L", (60, 20), 255)
    image.putpixel((0, 0), 0)  # top-left marker
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: viewers turn it 90° clockwise
    page = load_first_page(encode(image, "JPEG", exif=exif.tobytes(), quality=100))
    assert (page.width, page.height) == (20, 60)
    assert page.exif_rotation == 90
    assert page.pixels[0, -1] < 128  # the marker moved to the top-right corner


def test_alpha_palette_and_16bit_are_normalised():
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))  # fully transparent black
    page = load_first_page(encode(rgba, "PNG"))
    assert page.pixels.shape == (8, 8, 3) and page.pixels.min() == 255  # composited over white
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    assert tuple(load_first_page(encode(palette, "PNG")).pixels[0, 0]) == (10, 20, 30)
    sixteen = Image.fromarray(np.full((4, 4), 65535, dtype=np.uint16))
    page = load_first_page(encode(sixteen, "PNG"))
    assert page.pixels.dtype == np.uint8 and page.pixels.max() == 255


def test_webp_bmp_and_arrays():
    image = Image.new("RGB", (30, 20), (10, 200, 30))
    for fmt in ("WEBP", "BMP"):
        assert load_first_page(encode(image, fmt, **({"lossless": True} if fmt == "WEBP" else {}))).width == 30
    assert load_first_page(np.zeros((5, 7), dtype=np.float64)).pixels.dtype == np.uint8
    with pytest.raises(OcrInputError, match="shape"):
        load_first_page(np.zeros((5, 7, 2), dtype=np.uint8))
    with pytest.raises(OcrInputError, match="no pixels"):
        load_first_page(np.zeros((0, 7), dtype=np.uint8))


def test_dpi_is_kept():
    assert load_first_page(encode(Image.new("L", (10, 10)), "PNG", dpi=(300, 300))).dpi == pytest.approx(300, abs=1)
