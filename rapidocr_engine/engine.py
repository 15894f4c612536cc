"""RapidOCR behind `OcrEngine`: PP-OCRv4 text-line detection → 0/180 line classifier → PP-OCRv4 CTC
line recognizer, the ONNX models that `rapidocr-onnxruntime` ships (nothing is downloaded).

A plugin like any third-party engine: `rapidocr = "rapidocr_engine.engine:RapidOcrEngine"` in the
`ocrgate.engines` entry-point group, importing only `kernel`, `imaging` and `engines`. RapidOCR reads
text lines; our words are its lines split at spaces, each word's box the bounds of the share of
its line's quadrilateral that its characters take (along the line, so a sloping line's words stay
on it). Detection, classification and recognition are `kernel.deadline`
checkpoints. Without the package the engine is unavailable, with a one-line reason.
"""

from __future__ import annotations

import functools
import hashlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import BBox, Block, Line, Page, Word
from imaging import PageImage
from kernel import deadline
from kernel.errors import EngineUnavailableError, OcrInputError

PACKAGE = "rapidocr-onnxruntime"
#: what the PP-OCRv4 Chinese models read: Chinese and Latin script (its dictionary has no accents)
LANGUAGES = frozenset({"eng", "chi_sim"})
#: a box continues the line before it when their heights overlap by this share of the smaller one
ROW_OVERLAP = 0.5


def _load() -> tuple[Any, str]:
    """RapidOCR with its shipped models and their names (det+cls+rec), or EngineUnavailableError."""
    try:
        from rapidocr_onnxruntime import RapidOCR
        from rapidocr_onnxruntime.main import DEFAULT_CFG_PATH
        from rapidocr_onnxruntime.utils import read_yaml
    except ImportError as exc:
        raise EngineUnavailableError(f"{PACKAGE} is not installed ({exc}); pip install 'ocrgate[rapidocr]'") from exc
    config = read_yaml(DEFAULT_CFG_PATH)
    models = "+".join(Path(config[stage]["model_path"]).stem.removesuffix("_infer") for stage in ("Det", "Cls", "Rec"))
    return RapidOCR(config_path=str(DEFAULT_CFG_PATH)), models


@functools.lru_cache(maxsize=1)
def _adapter_digest() -> str:
    """A digest of this package's source: an adapter change shows in the version (and so in caches)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


class RapidOcrEngine(OcrEngine):
    name = "rapidocr"

    def __init__(self) -> None:
        super().__init__()
        self.ocr, self.models = _load()

    @property
    def version(self) -> str:
        try:
            release = package_version(PACKAGE)
        except PackageNotFoundError:
            release = "unknown"
        return f"{PACKAGE}-{release}+{self.models}+adapter-{_adapter_digest()}"

    def languages(self) -> frozenset[str]:
        return LANGUAGES

    def _read_page(self, page: PageImage, options: RecognizeOptions) -> Page:
        if options.engine_args:
            raise OcrInputError(f"unknown rapidocr options: {', '.join(sorted(options.engine_args))} (known: none)")
        problem = self.unreadable_languages(options)
        if problem:
            raise EngineUnavailableError(problem)
        image = _bgr(page.pixels)
        if options.mode == "page":
            quads = self._detect(image)
        else:  # the whole image is one line (or one word)
            quads = [np.array([[0, 0], [page.width, 0], [page.width, page.height], [0, page.height]], np.float32)]
        pieces = [
            line
            for quad, (text, score) in zip(quads, self._read(image, quads, options.mode == "page"), strict=True)
            if (line := _line(text, score, quad, page.width, page.height)) is not None
        ]
        lines = _join_rows(pieces)
        return Page(width=page.width, height=page.height, blocks=[Block(lines)] if lines else [], dpi=page.dpi)

    def _detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals in page pixels, in RapidOCR's reading order."""
        deadline.check()
        found, _ = self.ocr(image, use_det=True, use_cls=False, use_rec=False)
        return [np.array(quad, np.float32) for quad in found or []]

    def _read(self, image: np.ndarray, quads: list[np.ndarray], page_mode: bool) -> list[tuple[str, float]]:
        """Each quadrilateral's (text, confidence); page reads drop lines under RapidOCR's text score."""
        if not quads:
            return []
        crops = self.ocr.get_crop_img_list(image, quads)
        deadline.check()
        crops, _, _ = self.ocr.text_cls(crops)
        deadline.check()
        read, _ = self.ocr.text_rec(crops)
        deadline.check()
        floor = self.ocr.text_score if page_mode else 0.0
        return [(text, float(score)) if float(score) >= floor else ("", 0.0) for text, score, *_ in read]


def _bgr(pixels: np.ndarray) -> np.ndarray:
    """The page as RapidOCR takes it: H×W×3 BGR."""
    code = cv2.COLOR_GRAY2BGR if pixels.ndim == 2 else cv2.COLOR_RGB2BGR
    return cv2.cvtColor(np.ascontiguousarray(pixels), code)


def _join_rows(pieces: list[Line]) -> list[Line]:
    """RapidOCR's boxes in its reading order, those that continue the previous one on its row (to its
    right, overlapping half the smaller height) joined into one line: a gap in a row is not a new line."""
    lines: list[Line] = []
    for piece in pieces:
        last = lines[-1].bbox if lines else None
        assert piece.bbox is not None
        if last is not None and piece.bbox.x0 >= last.x1 - piece.bbox.height:
            overlap = min(last.y1, piece.bbox.y1) - max(last.y0, piece.bbox.y0)
            if overlap >= ROW_OVERLAP * min(last.height, piece.bbox.height):
                lines[-1] = Line(lines[-1].words + piece.words)
                continue
        lines.append(piece)
    return lines


def _bounds(points: np.ndarray, width: int, height: int) -> BBox:
    """The pixel box around `points`, clipped to the page, at least one pixel each way."""
    x0, y0 = max(0, int(np.floor(points[:, 0].min()))), max(0, int(np.floor(points[:, 1].min())))
    x1, y1 = min(width, int(np.ceil(points[:, 0].max()))), min(height, int(np.ceil(points[:, 1].max())))
    return BBox(min(x0, width - 1), min(y0, height - 1), max(x1, x0 + 1), max(y1, y0 + 1))


def _line(text: str, score: float, quad: np.ndarray, width: int, height: int) -> Line | None:
    """One read line as words: split at spaces, each word the stretch of the line's quadrilateral that
    its characters' share of the text takes along the line's direction, boxed. On a sloping line
    (a photo) a word's box is then the bounds of its own part of the line, not a slice of the whole
    line's bounds, which takes in the lines above and below."""
    (left, top), (right, bottom) = quad.min(axis=0), quad.max(axis=0)
    if not text.strip() or right <= 0 or bottom <= 0 or left >= width or top >= height:
        return None  # nothing of it on the page
    top_left, top_right, bottom_right, bottom_left = quad.astype(np.float64)  # RapidOCR's corner order
    words, start = [], 0
    for token in text.split(" "):
        if token:
            a, b = start / len(text), (start + len(token)) / len(text)
            corners = np.array(
                [
                    top_left + a * (top_right - top_left),
                    top_left + b * (top_right - top_left),
                    bottom_left + b * (bottom_right - bottom_left),
                    bottom_left + a * (bottom_right - bottom_left),
                ]
            )
            words.append(Word(token, _bounds(corners, width, height), max(0.0, min(1.0, score))))
        start += len(token) + 1
    return Line(words, _bounds(quad, width, height))
