"""Image intake: the one place where untrusted image bytes become pixels, with limits."""

from imaging.intake import ImageLimits, PageImage, load_first_page, load_pages
from imaging.normalise import page_png

__all__ = ["ImageLimits", "PageImage", "load_pages", "load_first_page", "page_png"]
