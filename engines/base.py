"""The `OcrEngine` interface that services call.

An engine implements `_read_page` for one decoded, upright-by-EXIF page. The base class
owns everything engines share: image intake with limits, timing, multi-frame input, and a
deadline checkpoint between pages. Callers run engines through `kernel.observe.observe`, which
owns the time limit and turns every failure into the error hierarchy.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod

from engines.options import RecognizeOptions
from engines.result import OcrResult, Page
from imaging import ImageLimits, PageImage, load_pages
from imaging.intake import ImageSource
from kernel import deadline


class OcrEngine(ABC):
    """A named, versioned OCR engine. Subclasses set `name` and implement `_read_page`."""

    name: str = ""
    #: the programs this engine runs (a job page's jail lets it exec exactly these, nothing else)
    programs: tuple[str, ...] = ()

    def __init__(self, limits: ImageLimits | None = None):
        self.limits = limits or ImageLimits.from_env()

    @property
    @abstractmethod
    def version(self) -> str:
        """The engine's version, as precise as it can tell (program + model)."""

    @abstractmethod
    def _read_page(self, page: PageImage, options: RecognizeOptions) -> Page:
        """Read one page; raise an `OcrgateError` subclass on failure."""

    def recognize(self, image: ImageSource, options: RecognizeOptions | None = None) -> OcrResult:
        """Read every frame of `image` (path, bytes, array, PIL or PageImage)."""
        options = options or RecognizeOptions()
        started = time.perf_counter()
        pages = load_pages(image, self.limits)
        read = []
        for page in pages:
            deadline.check()
            read.append(self._read_page(page, options))
        return OcrResult(
            engine=self.name,
            engine_version=self.version,
            pages=read,
            elapsed_seconds=time.perf_counter() - started,
            mode=options.mode,
            source=pages[0].source if pages else "<empty>",
        )

    def languages(self) -> frozenset[str] | None:
        """The language codes this engine can read here; None when it takes any code (reading what it can)."""
        return None

    def unreadable_languages(self, options: RecognizeOptions) -> str | None:
        """Why this engine cannot read `options.languages` here, naming what it can; None when it can."""
        known = self.languages()
        if known is None:
            return None
        missing = [code for code in options.languages.split("+") if code not in known]
        if not missing:
            return None
        return (
            f"{self.name} has no language data for {', '.join(missing)} "
            f"(installed: {', '.join(sorted(known)) or 'none'})"
        )

    def describe(self) -> dict[str, str]:
        """Name, version and class, for `ocrgate engines` and health checks."""
        return {"name": self.name, "version": self.version, "class": f"{type(self).__module__}.{type(self).__name__}"}
