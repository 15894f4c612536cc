"""A decoded page as the bytes we keep: a PNG of its pixels and its resolution, nothing else.

What an upload carried besides its pixels (EXIF, text and private chunks, colour profiles, other
frames) is gone: reading these bytes back with `imaging.load_first_page` gives exactly the same
pixels and DPI, so a later re-run of a stored page reads what the first run read.
"""

from __future__ import annotations

import io

from PIL import Image

from imaging.intake import PageImage

#: zlib level 1: nearly the size of level 6 on scanned pages, in a fraction of the time
PNG_COMPRESS_LEVEL = 1


def page_png(page: PageImage) -> bytes:
    """`page` (8-bit gray or RGB, already upright) encoded losslessly as PNG."""
    buffer = io.BytesIO()
    dpi = (page.dpi, page.dpi) if page.dpi else None
    Image.fromarray(page.pixels).save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL, dpi=dpi)
    return buffer.getvalue()
