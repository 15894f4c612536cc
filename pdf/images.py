"""Image pages: one decoded image (or the original JPEG bytes) drawn over a whole page.

A JPEG in a plain orientation is embedded as its original bytes (no re-encoding, no
generation loss) and its EXIF orientation becomes the page's `/Rotate`; anything else is
embedded losslessly (Flate) from the decoded, already upright pixels, bilevel images at one
bit per pixel.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass

import numpy as np
import pikepdf
from pikepdf import Dictionary, Name
from PIL import Image

from imaging import PageImage

#: resolution assumed when an image does not say (a typical office scan)
DEFAULT_DPI = 300.0
POINTS_PER_INCH = 72.0
#: EXIF orientation tag and the orientations that are pure clockwise turns
_EXIF_ORIENTATION = 0x0112
_TURN_BY_ORIENTATION = {1: 0, 3: 180, 6: 90, 8: 270}
#: the image's name in its page's resources
IMAGE_RESOURCE = "Im0"
#: Pillow's mode for 1-bit images (fax and most office scanners): embedded at 1 bit per pixel
BILEVEL_MODE = "1"
BILEVEL_THRESHOLD = 127
#: zlib level for embedded pixels: close to the smallest output at a fraction of level 9's time
FLATE_LEVEL = 6
_JPEG_MAGIC = b"\xff\xd8\xff"
_JPEG_COLOR_SPACES = {"L": Name.DeviceGray, "RGB": Name.DeviceRGB}


@dataclass(frozen=True)
class EmbeddedImage:
    """An image XObject and how the page shows it: its pixel size and the `/Rotate` to apply."""

    xobject: pikepdf.Object
    width: int
    height: int
    rotation: int


def embed_jpeg(pdf: pikepdf.Pdf, data: bytes) -> EmbeddedImage | None:
    """Embed JPEG bytes as they are, or None when they must be decoded instead."""
    if not data.startswith(_JPEG_MAGIC):
        return None
    with Image.open(io.BytesIO(data)) as image:
        turn = _TURN_BY_ORIENTATION.get(image.getexif().get(_EXIF_ORIENTATION, 1))
        space = _JPEG_COLOR_SPACES.get(image.mode)
        if turn is None or space is None or getattr(image, "n_frames", 1) != 1:
            return None
        width, height = image.size
    stream = pdf.make_stream(
        data,
        Dictionary(
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=width,
            Height=height,
            ColorSpace=space,
            BitsPerComponent=8,
            Filter=Name.DCTDecode,
        ),
    )
    return EmbeddedImage(stream, width, height, turn)


def embed_pixels(pdf: pikepdf.Pdf, page: PageImage) -> EmbeddedImage:
    """Embed decoded pixels losslessly: 1 bit per pixel if the source was bilevel, else 8."""
    if page.metadata.get("mode") == BILEVEL_MODE and page.pixels.ndim == 2:
        data, bits = np.packbits(page.pixels > BILEVEL_THRESHOLD, axis=1).tobytes(), 1  # 1 = white
    else:
        data, bits = page.pixels.tobytes(), 8
    space = Name.DeviceGray if page.pixels.ndim == 2 else Name.DeviceRGB
    stream = pdf.make_stream(
        zlib.compress(data, FLATE_LEVEL),
        Dictionary(
            Type=Name.XObject,
            Subtype=Name.Image,
            Width=page.width,
            Height=page.height,
            ColorSpace=space,
            BitsPerComponent=bits,
            Filter=Name.FlateDecode,
        ),
    )
    return EmbeddedImage(stream, page.width, page.height, 0)


def page_size_points(width: int, height: int, dpi: float | None) -> tuple[float, float]:
    """A page as large as the image printed at `dpi` (DEFAULT_DPI when unknown)."""
    scale = POINTS_PER_INCH / (dpi or DEFAULT_DPI)
    return width * scale, height * scale


def add_image_page(pdf: pikepdf.Pdf, image: EmbeddedImage, dpi: float | None) -> pikepdf.Page:
    """Append a page showing `image` over its whole MediaBox, turned by `image.rotation`."""
    width_pt, height_pt = page_size_points(image.width, image.height, dpi)
    content = f"q {width_pt:.4f} 0 0 {height_pt:.4f} 0 0 cm /{IMAGE_RESOURCE} Do Q\n".encode("ascii")
    page = pikepdf.Page(
        Dictionary(
            Type=Name.Page,
            MediaBox=[0, 0, width_pt, height_pt],
            Resources=Dictionary(XObject=Dictionary({"/" + IMAGE_RESOURCE: image.xobject})),
            Contents=pdf.make_stream(content),
        )
    )
    if image.rotation:
        page.obj.Rotate = image.rotation
    pdf.pages.append(page)
    return pdf.pages[-1]
