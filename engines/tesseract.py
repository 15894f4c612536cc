"""Tesseract, the commercial-engine stand-in, behind `OcrEngine`.

The one place that talks to the `tesseract` program (through pytesseract). We hand it
a lossless PNG of exactly the pixels we decoded, carrying the source's resolution, so
its output matches running `tesseract` on the original file.
"""

from __future__ import annotations

import functools
import os
import tempfile

import pytesseract
from PIL import Image

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import BBox, Block, Line, Page, Word
from imaging import PageImage
from kernel import deadline
from kernel.errors import EngineFailedError, EngineTimeoutError, EngineUnavailableError, OcrInputError

#: page-segmentation mode per recognition mode: 3 = automatic layout, 7 = one line, 8 = one word
PSM_BY_MODE = {"page": 3, "line": 7, "word": 8}
#: Tesseract treats resolutions under 70 dpi as unknown and estimates its own
MIN_VALID_DPI = 70


@functools.lru_cache(maxsize=1)
def tesseract_version() -> str:
    try:
        return str(pytesseract.get_tesseract_version())
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineUnavailableError(
            "the tesseract program is not installed or not on PATH (apt-get install tesseract-ocr)"
        ) from exc


@functools.lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except pytesseract.TesseractNotFoundError as exc:
        raise EngineUnavailableError("the tesseract program is not installed or not on PATH") from exc


class TesseractEngine(OcrEngine):
    name = "tesseract"
    programs = ("tesseract",)
    #: page-segmentation mode per recognition mode (engine_args["psm"] overrides)
    psm_by_mode: dict[str, int] = PSM_BY_MODE

    @property
    def version(self) -> str:
        return tesseract_version()

    def languages(self) -> frozenset[str]:
        return installed_languages()

    def _read_page(self, page: PageImage, options: RecognizeOptions) -> Page:
        problem = self.unreadable_languages(options)
        if problem:
            raise EngineUnavailableError(f"{problem}; apt-get install tesseract-ocr-LANG")
        data = self._run(page, options)
        return Page(width=page.width, height=page.height, blocks=_blocks_from_tsv(data), dpi=page.dpi)

    def _run(self, page: PageImage, options: RecognizeOptions) -> dict[str, list]:
        config = _config_for(page, options, self.psm_by_mode)
        with tempfile.TemporaryDirectory(prefix="ocrgate-tess-") as tmp:
            path = os.path.join(tmp, "page.png")
            image = Image.fromarray(page.pixels)
            image.save(path, format="PNG", dpi=(page.dpi, page.dpi) if page.dpi else None)
            # the subprocess gets what is left of the call's deadline and is killed when it runs out
            seconds_left = deadline.remaining(options.timeout_seconds)
            if seconds_left <= 0:
                raise EngineTimeoutError(f"tesseract had no time left for {page.source}")
            try:
                return pytesseract.image_to_data(
                    path,
                    lang=options.languages,
                    config=config,
                    timeout=seconds_left,
                    output_type=pytesseract.Output.DICT,
                )
            except pytesseract.TesseractNotFoundError as exc:
                raise EngineUnavailableError("the tesseract program is not installed or not on PATH") from exc
            except RuntimeError as exc:
                if "timeout" in str(exc).lower():
                    raise EngineTimeoutError(
                        f"tesseract ran past its time limit on {page.source} and was stopped"
                    ) from exc
                raise EngineFailedError(f"tesseract failed on {page.source}: {exc}") from exc
            except pytesseract.TesseractError as exc:
                raise EngineFailedError(f"tesseract failed on {page.source}: {exc.message or exc}") from exc


class TesseractBlockEngine(TesseractEngine):
    """Tesseract reading a page as one uniform block of text (psm 6): no layout analysis, which
    suits receipts and forms; a second configuration to roll out against the default."""

    name = "tesseract-block"
    psm_by_mode = {**PSM_BY_MODE, "page": 6}


def _config_for(page: PageImage, options: RecognizeOptions, psm_by_mode: dict[str, int]) -> str:
    args = dict(options.engine_args)
    psm = args.pop("psm", str(psm_by_mode[options.mode]))
    oem = args.pop("oem", None)
    if not psm.isdigit() or not 0 <= int(psm) <= 13:
        raise OcrInputError(f"tesseract psm must be 0..13, got {psm!r}")
    if args:
        raise OcrInputError(f"unknown tesseract options: {', '.join(sorted(args))} (known: psm, oem)")
    parts = [f"--psm {int(psm)}"]
    if oem is not None:
        if oem not in {"0", "1", "2", "3"}:
            raise OcrInputError(f"tesseract oem must be 0..3, got {oem!r}")
        parts.append(f"--oem {oem}")
    if page.dpi and page.dpi >= MIN_VALID_DPI:
        parts.append(f"--dpi {int(round(page.dpi))}")
    return " ".join(parts)


def _blocks_from_tsv(data: dict[str, list]) -> list[Block]:
    """Group Tesseract's TSV word rows (level 5) into blocks and lines in its reading order."""
    blocks: dict[int, dict[tuple[int, int], list[Word]]] = {}
    for i, level in enumerate(data["level"]):
        text = str(data["text"][i]).strip()
        if int(level) != 5 or not text:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        box = BBox(left, top, left + int(data["width"][i]), top + int(data["height"][i]))
        confidence = min(1.0, max(0.0, float(data["conf"][i]) / 100.0))
        line_key = (int(data["par_num"][i]), int(data["line_num"][i]))
        blocks.setdefault(int(data["block_num"][i]), {}).setdefault(line_key, []).append(
            Word(text=text, bbox=box, confidence=confidence)
        )
    return [Block(lines=[Line(words=words) for words in lines.values()]) for lines in blocks.values()]
