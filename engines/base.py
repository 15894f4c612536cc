"""The `OcrEngine` interface that services call.

An engine implements `_read_page` for one decoded, upright-by-EXIF page. The base class
owns everything engines share: image intake with limits, timing, multi-frame input,
and the batch form (whose items fail independently).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

from engines.options import RecognizeOptions
from engines.result import OcrResult, Page
from imaging import ImageLimits, PageImage, load_pages
from imaging.intake import ImageSource
from kernel.errors import OcrgateError


@dataclass
class BatchItem:
    """One outcome of `recognize_batch`: a result, or the error that input raised."""

    result: OcrResult | None = None
    error: OcrgateError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class OcrEngine(ABC):
    """A named, versioned OCR engine. Subclasses set `name` and implement `_read_page`."""

    name: str = ""
    #: how many pages the batch form reads at once; engines that hold the GIL set 1
    batch_parallelism: int = 2

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
        read = [self._read_page(page, options) for page in pages]
        return OcrResult(engine=self.name, engine_version=self.version, pages=read,
                         elapsed_seconds=time.perf_counter() - started, mode=options.mode,
                         source=pages[0].source if pages else "<empty>")

    def recognize_batch(self, images: Sequence[ImageSource],
                        options: RecognizeOptions | None = None) -> list[BatchItem]:
        """Read many images; one bad image yields an error item, never a lost batch."""
        def one(image: ImageSource) -> BatchItem:
            try:
                return BatchItem(result=self.recognize(image, options))
            except OcrgateError as exc:
                return BatchItem(error=exc)

        if self.batch_parallelism <= 1 or len(images) <= 1:
            return [one(image) for image in images]
        with ThreadPoolExecutor(max_workers=self.batch_parallelism) as pool:
            return list(pool.map(one, images))

    def describe(self) -> dict[str, str]:
        """Name, version and class, for `ocrgate engines` and health checks."""
        return {"name": self.name, "version": self.version, "class": f"{type(self).__module__}.{type(self).__name__}"}
