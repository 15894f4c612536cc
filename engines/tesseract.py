"""Tesseract, the commercial-engine stand-in, behind `OcrEngine`.

The one place that talks to the `tesseract` program (through pytesseract). We hand it
a lossless PNG of exactly the pixels we decoded, carrying the source's resolution, so
without pre-processing (`illumination=off`, `deskew=off`) its output matches running `tesseract`
on the original file.

With `engine_args["deskew"] = "auto"` (the default) a page whose lines slope is levelled first by
`imaging.deskew` (OCRmyPDF's `--deskew` is the anchor) and the boxes are taken back to the page.

With `engine_args["orientation"] = "auto"` a page read first asks Tesseract's orientation and
script detection (`--psm 0`, as OCRmyPDF's `--rotate-pages` does) which way up the page is; a turn
stands when OSD is sure of it or when Tesseract reads the page better turned (`upright_turn`). The
result's `Page.rotation` says what was applied.

With `engine_args["illumination"] = "auto"` (the default) an unevenly lit page (a phone photo's
shadows and highlights) is flattened first by `imaging.illumination`, as a careful integrator
would clean a page before Tesseract's global threshold (OCRmyPDF's `--clean` is the anchor).
"""

from __future__ import annotations

import dataclasses
import functools
import os
import tempfile
from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
import pytesseract
from PIL import Image

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import BBox, Block, Line, Page, Word
from imaging import PageImage, deskew, illumination, text_size
from kernel import deadline
from kernel.errors import EngineFailedError, EngineTimeoutError, EngineUnavailableError, OcrInputError

#: engine_args["illumination"] unless a read says: "auto" flattens an unevenly lit page first
#: (chosen on train pages and their photos: benchmarks/results/illumination_gate_tesseract.json)
ILLUMINATION_DEFAULT = "auto"
#: engine_args["deskew"] unless a read says: "auto" levels a page whose lines slope first (OCRmyPDF's
#: --deskew; `imaging.deskew`), its boxes mapped back to the page as it was. Chosen on 60 train pages and
#: their photos: aligned CER .2866 -> .2677 (21 pages better, 10 worse; photos .349 -> .316, clean pages
#: .224 -> .220: benchmarks/deskew_ab.py --engine tesseract ... --out tesseract_train)
DESKEW_DEFAULT = "auto"
#: page-segmentation mode per recognition mode: 3 = automatic layout, 7 = one line, 8 = one word
PSM_BY_MODE = {"page": 3, "line": 7, "word": 8}
#: Tesseract treats resolutions under 70 dpi as unknown and estimates its own
MIN_VALID_DPI = 70
#: engine_args["orientation"]: "auto" runs OSD before a page-mode read, "off" reads the page as it is
ORIENTATIONS = ("auto", "off")
#: off by default, as OCRmyPDF's --rotate-pages is: on upright dev pages OSD and its checks cost a share of
#: a page read (benchmarks/results/orientation_dev_two_engines.json, docs/engines.md)
DEFAULT_ORIENTATION = "off"
#: OSD reads a copy of the page whose letters are enlarged to this height (px) when they are smaller,
#: at most OSD_MOST_ENLARGEMENT times: OSD is tuned for 300-dpi scans, and on our 100-dpi forms
#: (letters 6–9 px) it is all but blind. On 24 train pages turned 0/90/180/270, enlarging to 20 px
#: took the turned pages recovered at confidence 4 from 15 to 35 of 72, no wrong turn (28 px: 34, 36 px: 31;
#: benchmarks/osd_enlargement.py → benchmarks/results/osd_enlargement_train.json)
OSD_LETTER_HEIGHT = 20.0
OSD_MOST_ENLARGEMENT = 4.0
#: OSD's orientation confidence at which its "upright" stands unchecked, chosen on those train pages
#: (benchmarks/orientation_eval.py --split train --limit 12 --engine tesseract --out
#: orientation_train_tesseract_osd): the most confident wrong "upright" was 2.48 (and the most confident
#: wrong quarter turn 2.54), and 3.5 keeps about a point of safety (OCRmyPDF's default of 14 turns back
#: none of the turned pages). Every other answer goes to a reading check
OSD_MIN_CONFIDENCE = 3.5
#: a turn that the reading check finds stands when the page, read as one block of text turned that way,
#: yields this many times the confident characters of the page as it is. On those 24 train pages read
#: all four ways, an upright page's other turns yielded at most 0.92 of its upright reading, and a
#: turned page's right turn at least 1.20 times the page as it is (orientation_train_tesseract_unsure);
#: 1.05 lies midway
CHECK_GAIN = 1.05
#: the check reads one uniform block (psm 6): with layout analysis (psm 3) Tesseract finds the text
#: running down a sideways page and reads a page turned 90° clockwise about as well as upright
CHECK_PSM = "6"


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


@dataclasses.dataclass(frozen=True)
class Osd:
    """What Tesseract's orientation detection said of a page."""

    rotate: int  # clockwise degrees that make the page upright, by OSD
    confidence: float  # OSD's orientation confidence (0 when it found too few characters)


@dataclasses.dataclass(frozen=True)
class Turn:
    """The clockwise turn a page read applies, with its evidence."""

    rotation: int
    osd: Osd
    #: confident characters of each turn that a check read (empty when OSD's answer stood unchecked)
    checked: dict[int, float] = dataclasses.field(default_factory=dict)
    #: the page-mode readings a turn-over check made, by turn, for the read to reuse
    readings: dict[int, list[Block]] = dataclasses.field(default_factory=dict)


class TesseractEngine(OcrEngine):
    name = "tesseract"
    programs = ("tesseract",)
    #: page-segmentation mode per recognition mode (engine_args["psm"] overrides)
    psm_by_mode: dict[str, int] = PSM_BY_MODE

    @property
    def version(self) -> str:
        return f"{tesseract_version()}+{illumination.VERSION}+{deskew.VERSION}-{DESKEW_DEFAULT}"

    def languages(self) -> frozenset[str]:
        return installed_languages()

    def _read_page(self, page: PageImage, options: RecognizeOptions) -> Page:
        problem = self.unreadable_languages(options)
        if problem:
            raise EngineUnavailableError(f"{problem}; apt-get install tesseract-ocr-LANG")
        rotation, blocks = self.read_upright(page, options)
        upright = _turned(page, rotation)
        return Page(
            width=upright.width,
            height=upright.height,
            blocks=blocks,
            rotation=rotation,
            source_width=page.width,
            source_height=page.height,
            dpi=page.dpi,
        )

    def read_upright(self, page: PageImage, options: RecognizeOptions) -> tuple[int, list[Block]]:
        """The clockwise turn applied to `page` (`upright_turn`, when orientation is wanted) and
        Tesseract's reading of the page so turned."""
        config = _config_for(page, options, self.psm_by_mode)  # bad options fail before any work
        if not _orientation_wanted(options):
            return 0, self._read_turned(page, 0, config, options)
        turn = self.upright_turn(page, options)
        if turn.rotation in turn.readings:
            return turn.rotation, turn.readings[turn.rotation]
        return turn.rotation, self._read_turned(page, turn.rotation, config, options)

    def upright_turn(self, page: PageImage, options: RecognizeOptions) -> Turn:
        """The turn that makes `page` upright: OSD proposes, and Tesseract's own readings check
        every answer but a sure "upright".

        A turn-over, whatever OSD's confidence, stands only when the turned page reads better than
        the page as it is (more `confident_characters`): OSD can be sure that an upright receipt is
        upside down, and Tesseract cannot read upside-down text, so the two readings settle it. A quarter turn
        that OSD is sure of (OSD_MIN_CONFIDENCE) is right about the text running down but not always
        about which way: the page is read as one block turned that way and the opposite way, and
        the better stands. Any other answer (an unsure quarter turn, an unsure "upright", which can
        be upside down or sideways) is settled by reading the page as one block as it is and turned
        each other way: the best turn stands if it reads CHECK_GAIN times better than the page as
        it is. The checks cost one extra read (a turn-over), two block reads (a sure quarter turn)
        or four (an unsure answer)."""
        config = _config_for(page, options, self.psm_by_mode)
        osd = self.detect_orientation(page, options)
        if osd.rotate == 180:
            readings = {turn: self._read_turned(page, turn, config, options) for turn in (180, 0)}
            checked = {turn: confident_characters(blocks) for turn, blocks in readings.items()}
            return Turn(180 if checked[180] > checked[0] else 0, osd, checked, readings)
        sure = osd.confidence >= OSD_MIN_CONFIDENCE
        if osd.rotate == 0 and sure:
            return Turn(0, osd)
        block = dataclasses.replace(options, engine_args={**options.engine_args, "psm": CHECK_PSM})
        block_config = _config_for(page, block, self.psm_by_mode)
        turns = (osd.rotate, (osd.rotate + 180) % 360) if sure else (0, 90, 180, 270)
        found = {turn: confident_characters(self._read_turned(page, turn, block_config, options)) for turn in turns}
        best = max((turn for turn in turns if turn), key=lambda turn: found[turn])
        rotation = best if sure or found[best] > CHECK_GAIN * found[0] else 0
        return Turn(rotation, osd, found)

    def read_turned(self, page: PageImage, rotation: int, options: RecognizeOptions) -> list[Block]:
        """Tesseract's reading of `page` turned clockwise by `rotation` degrees (no OSD)."""
        return self._read_turned(page, rotation, _config_for(page, options, self.psm_by_mode), options)

    def _read_turned(self, page: PageImage, rotation: int, config: str, options: RecognizeOptions) -> list[Block]:
        """Tesseract's reading of `page` turned clockwise by `rotation`, lit evenly and levelled as the
        read asks; boxes on the turned page."""
        upright = _evenly_lit(_turned(page, rotation), options)
        skew = deskew.skew_as_asked(
            upright.gray(), options.engine_args, "tesseract", DESKEW_DEFAULT, options.mode == "page"
        )
        leveled = deskew.level(upright.pixels, skew) if skew else None
        seen = upright if leveled is None else dataclasses.replace(upright, pixels=leveled.pixels)
        data = self._tesseract(seen, options, pytesseract.image_to_data, config, lang=options.languages)
        if leveled is None:
            return _blocks_from_tsv(data)
        return _blocks_from_tsv(data, lambda box: BBox(*leveled.to_source((box.x0, box.y0, box.x1, box.y1))))

    def detect_orientation(
        self, page: PageImage, options: RecognizeOptions, letter_height: float = OSD_LETTER_HEIGHT
    ) -> Osd:
        """Tesseract's OSD (`--psm 0`) on `page`, its letters enlarged first to `letter_height`
        pixels when smaller (0: the page as it is); no turn when it finds too few characters to tell."""
        if "osd" not in self.languages():
            raise EngineUnavailableError("tesseract has no orientation data (osd); apt-get install tesseract-ocr-osd")
        enlarged = _enlarged(page, letter_height) if letter_height else page
        found = self._tesseract(enlarged, options, _osd_or_none, " ".join(["--psm 0", *_dpi_flags(enlarged)]))
        if found is None:
            return Osd(0, 0.0)
        return Osd(int(found["rotate"]) % 360, float(found["orientation_conf"]))

    def _tesseract(
        self, page: PageImage, options: RecognizeOptions, call: Callable[..., Any], config: str, **kwargs: str
    ) -> Any:
        """`call(png_path, config=…, timeout=…, output_type=DICT, **kwargs)`, one of pytesseract's
        functions, on `page`; its failures as our errors."""
        with tempfile.TemporaryDirectory(prefix="ocrgate-tess-") as tmp:
            path = os.path.join(tmp, "page.png")
            image = Image.fromarray(page.pixels)
            image.save(path, format="PNG", dpi=(page.dpi, page.dpi) if page.dpi else None)
            # the subprocess gets what is left of the call's deadline and is killed when it runs out
            seconds_left = deadline.remaining(options.timeout_seconds)
            if seconds_left <= 0:
                raise EngineTimeoutError(f"tesseract had no time left for {page.source}")
            try:
                return call(path, config=config, timeout=seconds_left, output_type=pytesseract.Output.DICT, **kwargs)
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


def confident_characters(blocks: list[Block]) -> float:
    """Characters read, each weighted by its word's confidence: a page read the right way up
    yields many, confidently; the same page turned yields few, or many doubtful ones."""
    return sum(len(word.text) * word.confidence for block in blocks for line in block.lines for word in line.words)


def _osd_or_none(path: str, **kwargs: Any) -> dict[str, Any] | None:
    """pytesseract's OSD, None when the page has too few characters for it to tell."""
    try:
        return pytesseract.image_to_osd(path, **kwargs)
    except pytesseract.TesseractError as exc:
        if "too few characters" in str(exc.message).lower():
            return None
        raise


def _orientation_wanted(options: RecognizeOptions) -> bool:
    """Whether a read runs OSD first: page mode only, by `engine_args["orientation"]`."""
    wanted = options.engine_args.get("orientation", DEFAULT_ORIENTATION)
    if wanted not in ORIENTATIONS:
        raise OcrInputError(f"tesseract orientation must be one of {', '.join(ORIENTATIONS)}, got {wanted!r}")
    return options.mode == "page" and wanted == "auto"


def _enlarged(page: PageImage, letter_height: float) -> PageImage:
    """`page`, its letters enlarged to `letter_height` (in gray, its resolution with them) when
    they are smaller, at most OSD_MOST_ENLARGEMENT times."""
    gray = page.gray()
    factor = text_size.enlargement(gray, letter_height, OSD_MOST_ENLARGEMENT)
    if factor == 1.0:
        return page
    pixels = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    return dataclasses.replace(page, pixels=pixels, dpi=page.dpi * factor if page.dpi else None)


def _turned(page: PageImage, rotation: int) -> PageImage:
    """`page` turned clockwise by `rotation` (0/90/180/270) degrees."""
    if not rotation:
        return page
    return dataclasses.replace(page, pixels=np.ascontiguousarray(np.rot90(page.pixels, k=-(rotation // 90))))


def _evenly_lit(page: PageImage, options: RecognizeOptions) -> PageImage:
    """`page` flattened to gray when its lighting is uneven and `illumination` is not "off"."""
    flat = illumination.flatten_as_asked(page.gray(), options.engine_args, "tesseract", ILLUMINATION_DEFAULT)
    return page if flat is None else dataclasses.replace(page, pixels=flat)


def _config_for(page: PageImage, options: RecognizeOptions, psm_by_mode: dict[str, int]) -> str:
    args = dict(options.engine_args)
    psm = args.pop("psm", str(psm_by_mode[options.mode]))
    oem = args.pop("oem", None)
    args.pop("orientation", None)  # checked by _orientation_wanted
    args.pop("illumination", None)  # checked by imaging.illumination
    args.pop("deskew", None)  # checked by imaging.deskew
    if not psm.isdigit() or not 0 <= int(psm) <= 13:
        raise OcrInputError(f"tesseract psm must be 0..13, got {psm!r}")
    if args:
        raise OcrInputError(
            f"unknown tesseract options: {', '.join(sorted(args))} (known: psm, oem, orientation, illumination, deskew)"
        )
    parts = [f"--psm {int(psm)}"]
    if oem is not None:
        if oem not in {"0", "1", "2", "3"}:
            raise OcrInputError(f"tesseract oem must be 0..3, got {oem!r}")
        parts.append(f"--oem {oem}")
    return " ".join(parts + _dpi_flags(page))


def _dpi_flags(page: PageImage) -> list[str]:
    """The page's resolution for Tesseract, when it has a valid one."""
    return [f"--dpi {int(round(page.dpi))}"] if page.dpi and page.dpi >= MIN_VALID_DPI else []


def _blocks_from_tsv(data: dict[str, list], to_page: Callable[[BBox], BBox] = lambda box: box) -> list[Block]:
    """Group Tesseract's TSV word rows (level 5) into blocks and lines in its reading order, each
    word's box taken by `to_page` from the image Tesseract read to the page."""
    blocks: dict[int, dict[tuple[int, int], list[Word]]] = {}
    for i, level in enumerate(data["level"]):
        text = str(data["text"][i]).strip()
        if int(level) != 5 or not text:
            continue
        left, top = int(data["left"][i]), int(data["top"][i])
        box = to_page(BBox(left, top, left + int(data["width"][i]), top + int(data["height"][i])))
        confidence = min(1.0, max(0.0, float(data["conf"][i]) / 100.0))
        line_key = (int(data["par_num"][i]), int(data["line_num"][i]))
        blocks.setdefault(int(data["block_num"][i]), {}).setdefault(line_key, []).append(
            Word(text=text, bbox=box, confidence=confidence)
        )
    return [Block(lines=[Line(words=words) for words in lines.values()]) for lines in blocks.values()]
