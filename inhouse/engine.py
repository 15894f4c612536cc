"""The in-house engine behind `OcrEngine`: orientation → MSER Word Detector → Word Deep Net
(CNN + BiLSTM + CTC) → Wordinator → confidence buckets with the lexicon.

Registered through the `ocrgate.engines` entry point like any third-party engine
(`inhouse = "inhouse.engine:InhouseEngine"` in pyproject.toml); `engines/` knows nothing of it.
Serving runs the recognizer's int8 copy on ONNX Runtime and never imports TensorFlow or the
`training` package. Each stage (orientation, detection, recognition, post-processing) and each
forward pass of the recognizer is a `kernel.deadline` checkpoint: a call past its limit stops there.

Models load once per process (the registry keeps one instance); reading is thread-safe. Two
pages in flight beat one on 2 cores (`benchmarks/page_throughput.py`): MSER, OpenCV and ONNX
Runtime release the GIL, so one page's detection overlaps the other's recognition.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np

from engines.base import OcrEngine
from engines.options import RecognizeOptions
from engines.result import BBox, Block, Line, Page, Word
from imaging import PageImage, deskew, illumination, load_pages
from imaging.intake import ImageSource
from inhouse import second_detection, skew
from inhouse.detector import DetectorConfig, detect_words
from inhouse.detector.detect import Detection, word_crop
from inhouse.orientation import Orientation, rotate
from inhouse.orientation import predict as predict_orientation
from inhouse.postprocess.buckets import ReadWord, Thresholds, postprocess
from inhouse.postprocess.lexicon import Lexicon
from inhouse.recognizer.model_files import DEFAULT_MODEL_DIR, WEIGHTS_FILE, weights_digest
from inhouse.recognizer.predictor import PredictorConfig, WordRecognizer
from inhouse.wordinator import rejoin, split_words
from kernel import deadline
from kernel.errors import OcrInputError

#: reads crops → [(text, confidence)]
Reader = Callable[[list[np.ndarray]], list[tuple[str, float]]]
#: a line whose top is this many line heights below the previous one starts a new block
BLOCK_GAP = 1.8
ENGINE_ARGS = (
    "orientation",
    "postprocess",
    "illumination",
    "deskew",
    "second_look",
    "faint_pass",
    "sharpened_detection",
)
#: "on": doubtful crops are read again in a few views (`inhouse/recognizer/second_look.py`); "off"
#: reads each crop once, about a third faster a page and less accurate (docs/inhouse-recognizer.md)
SECOND_LOOK_MODES = ("on", "off")
#: "on" (the DetectorConfig's default): on a page whose print is soft, the detector's faint pass looks
#: again for soft print (blurred photos, faded till rolls) and keeps what reads surely; "off" never does
FAINT_PASS_MODES = ("on", "off")
#: "auto" (as the DetectorConfig says): a page whose print is soft is also detected on a sharpened copy,
#: and the reading expected to get more characters right is kept (inhouse/second_detection.py); "off"
#: detects every page once
SHARPENED_DETECTION_MODES = ("auto", "off")
#: "off": flattening uneven light costs the in-house pipeline accuracy on train pages and on their
#: photos alike (aligned CER 0.182 as they are, 0.204 all flattened, worse at every gate threshold:
#: benchmarks/results/illumination_gate_inhouse.json); orientation flattens its own small copy
ILLUMINATION_DEFAULT = "off"
#: "off": levelling a sloping page (`imaging.deskew`; "auto" reads it levelled, boxes mapped back) made more
#: train pages and photos worse than better (26 to 14 of 60, aligned CER .1535 -> .1584, .1565 with the
#: 0.5° minimum; forms lose most: benchmarks/deskew_ab.py --engine inhouse ... --out inhouse_train). The
#: line grouping already follows a sloping line, and a page turned by interpolation loses some sharpness
#: of its small print
DESKEW_DEFAULT = "off"


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """A digest of the pipeline's source (the `inhouse` package, this module included), so that a
    code change shows in the version: cached evaluation results and stored paired outputs are keyed
    by it, and a detector or post-processing fix must not be served from an old run's cache."""
    package = Path(__file__).resolve().parent
    root = package.parent
    files = sorted(package.rglob("*.py"))
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


class InhouseEngine(OcrEngine):
    name = "inhouse"

    def __init__(
        self, model_dir=None, detector: DetectorConfig | None = None, predictor: PredictorConfig | None = None
    ):
        super().__init__()
        self.model_dir = Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR
        # EngineUnavailableError if it cannot serve
        self.recognizer = WordRecognizer.load(self.model_dir, predictor or PredictorConfig())
        self.weights = self.model_dir / WEIGHTS_FILE
        self.detector = detector or DetectorConfig()
        self.thresholds = Thresholds.load()
        self.lexicon = Lexicon.english()

    @property
    def version(self) -> str:
        look = self.recognizer.config.second_look
        settings = {
            "detector": self.detector.as_dict(),
            "postprocess": asdict(self.thresholds),
            "illumination": illumination.VERSION,
            "deskew": f"{deskew.VERSION}-{DESKEW_DEFAULT}",
            "beam_width": self.recognizer.config.beam_width,
            "second_look": look and asdict(look),
        }
        digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
        # ".int8" whenever it serves; a recognizer that a training tool built on a float runtime says so
        int8 = ".int8" if self.recognizer.runtime.name == "onnx-int8" else ""
        return f"wdn-{weights_digest(self.weights)}{int8}+cfg-{digest}+code-{_code_digest()}"

    # --- reading ---------------------------------------------------------------------
    def _read_page(self, page: PageImage, options: RecognizeOptions) -> Page:
        unknown = set(options.engine_args) - set(ENGINE_ARGS)
        if unknown:
            raise OcrInputError(
                f"unknown inhouse options: {', '.join(sorted(unknown))} (known: {', '.join(ENGINE_ARGS)})"
            )
        self._detector(options)  # a bad faint_pass or sharpened_detection is an input error whatever the mode
        if options.mode != "word":
            words, text_height, rotation, (height, width) = self._detect_and_read(page, options)
            deadline.check()
            words = self._postprocessed(words, options, text_height)
            if options.mode == "line":
                words = [ReadWord(w.text, w.confidence, w.bbox, 0, w.char_boxes) for w in words]
            return self._page(words, width, height, rotation, page)
        gray = page.gray()
        text, confidence = self._reader(options)([gray])[0]
        whole = ReadWord(text, confidence, BBox(0, 0, page.width, page.height), 0)
        return self._page(split_words(whole), page.width, page.height, 0, page)

    def read_unprocessed(self, image: ImageSource) -> tuple[list[ReadWord], float]:
        """The first page's words as post-processing receives them (character boxes included) and
        the detector's text height: what `training.tune_postprocess` replays thresholds over."""
        page = load_pages(image, self.limits)[0]
        words, text_height, _, _ = self._detect_and_read(page, RecognizeOptions(mode="page"))
        return words, text_height

    def orientation(self, page: PageImage, options: RecognizeOptions | None = None) -> Orientation:
        """Which way up `page` is, decided as a page-mode read decides it."""
        options = options or RecognizeOptions(mode="page")
        reader = self._reader(options)
        gray, _, detection, read = self._first_look(page, options, reader)
        return predict_orientation(gray, reader, self._detector(options), detection, read)

    def _first_look(
        self, page: PageImage, options: RecognizeOptions, reader: Reader
    ) -> tuple[np.ndarray, np.ndarray | None, Detection, Callable[[], list[tuple[str, float]]]]:
        """The page as read (gray; lighting flattened if the read asks), its colour, its detection as it
        is, and its words' readings by `reader` (read once, when first asked for)."""
        gray = page.gray()
        flat = illumination.flatten_as_asked(gray, options.engine_args, self.name, ILLUMINATION_DEFAULT)
        gray = gray if flat is None else flat
        colour = page.pixels if page.pixels.ndim == 3 else None
        deadline.check()
        detection = detect_words(gray, self._detector(options), colour)
        return gray, colour, detection, functools.cache(functools.partial(self._read_words, gray, detection, reader))

    def _detect_and_read(
        self, page: PageImage, options: RecognizeOptions
    ) -> tuple[list[ReadWord], float, int, tuple[int, int]]:
        """Orientation, detection, recognition and the Wordinator: (words, text height or 0,
        rotation, upright shape), before post-processing."""
        reader, config = self._reader(options), self._detector(options)
        gray, colour, detection, read = self._first_look(page, options, reader)
        rotation = 0
        deadline.check()
        if options.mode == "page" and options.engine_args.get("orientation", "auto") != "off":
            rotation = predict_orientation(gray, reader, config, detection, read).rotation
        upright = rotate(gray, rotation)
        skew = deskew.skew_as_asked(upright, options.engine_args, self.name, DESKEW_DEFAULT, options.mode == "page")
        leveled = deskew.level(upright, skew) if skew else None
        seen = gray
        if rotation or leveled:
            deadline.check()
            colour = None if colour is None else rotate(colour, rotation)
            if leveled:
                colour = None if colour is None else deskew.level(colour, skew).pixels
            seen = upright if leveled is None else leveled.pixels
            detection = detect_words(seen, config, colour)
            read = functools.cache(functools.partial(self._read_words, seen, detection, reader))
        deadline.check()
        if options.mode == "line" and not detection.words:
            text, confidence = reader([gray])[0]
            words = split_words(ReadWord(text, confidence, BBox(0, 0, page.width, page.height), 0))
            return words, 0.0, 0, gray.shape
        words = self._joined(detection, read())  # the recognizer checks the deadline before each forward pass
        if second_detection.wanted(detection, config):
            detection, words = self._surer_of(seen, colour, detection, words, reader, config, options)
        deadline.check()
        if leveled:
            words = [_on_page(word, leveled) for word in words]
        return words, detection.text_height, rotation, upright.shape

    def _surer_of(
        self,
        seen: np.ndarray,
        colour: np.ndarray | None,
        detection: Detection,
        words: list[ReadWord],
        reader: Reader,
        config: DetectorConfig,
        options: RecognizeOptions,
    ) -> tuple[Detection, list[ReadWord]]:
        """A soft page's detection and words as read, or those of its detection on a sharpened copy
        (`config`, the read's detector settings, sharpened), whichever are expected to get more
        characters right once post-processed."""
        deadline.check()
        again = detect_words(seen, second_detection.sharpened(config), colour)
        other = self._joined(again, self._read_words(seen, again, reader))
        first = second_detection.expected_correct(self._postprocessed(words, options, detection.text_height))
        if second_detection.expected_correct(self._postprocessed(other, options, again.text_height)) > first:
            return again, other
        return detection, words

    def _joined(self, detection: Detection, readings: list[tuple[str, float]]) -> list[ReadWord]:
        """The detection's words as read: chopped pieces re-joined, faint words kept only if sure."""
        joined = rejoin(detection.words, readings, self.detector.faint_min_confidence, self.detector.faint_min_chars)
        return [piece for word in joined for piece in split_words(word)]

    def _postprocessed(self, words: list[ReadWord], options: RecognizeOptions, text_height: float) -> list[ReadWord]:
        """`words` through the lexicon and confidence buckets, unless the read turns that off."""
        if options.engine_args.get("postprocess", "on") == "off":
            return words
        return postprocess(words, self.lexicon, self.thresholds, text_height)

    def word_crops(self, image: ImageSource) -> tuple[Detection, list[np.ndarray]]:
        """The first page's detection, read as it lies (no orientation, no levelling of the page), and
        the crop the recognizer reads for each of its words: what `training.detectedcrops` labels, so
        that fine-tuning sees the crops the engine cuts."""
        page = load_pages(image, self.limits)[0]
        options = RecognizeOptions(mode="page")
        gray, _, detection, _ = self._first_look(page, options, self._reader(options))
        return detection, self._crops(gray, detection)

    def _crops(self, upright: np.ndarray, detection: Detection) -> list[np.ndarray]:
        """Every detected word's crop, a word on a sloping line levelled first."""
        padding, slopes = self.detector.crop_padding, skew.line_slopes(detection)
        return [
            skew.level_crop(upright, w.crop_box or w.bbox, slopes[w.line], padding)
            if w.line in slopes
            else word_crop(upright, w, padding)
            for w in detection.words
        ]

    def _read_words(self, upright: np.ndarray, detection: Detection, reader: Reader) -> list[tuple[str, float]]:
        """`reader`'s reading of every detected word."""
        return reader(self._crops(upright, detection))

    def _detector(self, options: RecognizeOptions) -> DetectorConfig:
        """The detector's settings for this read: the engine's, with the faint pass and the
        sharpened detection as the read asks."""
        config = self.detector
        faint = options.engine_args.get("faint_pass")
        if faint is not None:
            if faint not in FAINT_PASS_MODES:
                raise OcrInputError(f"inhouse faint_pass must be one of {', '.join(FAINT_PASS_MODES)}, got {faint!r}")
            config = dataclasses.replace(config, faint_pass=faint == "on")
        sharp = options.engine_args.get("sharpened_detection", "auto")
        if sharp not in SHARPENED_DETECTION_MODES:
            raise OcrInputError(
                f"inhouse sharpened_detection must be one of {', '.join(SHARPENED_DETECTION_MODES)}, got {sharp!r}"
            )
        if sharp == "off":
            config = dataclasses.replace(config, sharpened_detection_max_contrast=0.0)
        return config

    def _reader(self, options: RecognizeOptions) -> Reader:
        """How this read reads crops, orientation's samples included (so that a page as it is and
        turned compare like with like): with the recognizer's second look unless the read turns it off."""
        wanted = options.engine_args.get("second_look", "on")
        if wanted not in SECOND_LOOK_MODES:
            raise OcrInputError(f"inhouse second_look must be one of {', '.join(SECOND_LOOK_MODES)}, got {wanted!r}")
        return functools.partial(self.recognizer.recognize_batch, second_look=wanted == "on")

    @staticmethod
    def _page(words: list[ReadWord], width: int, height: int, rotation: int, source: PageImage) -> Page:
        lines: dict[int, list[ReadWord]] = {}
        for word in words:
            if word.text:
                lines.setdefault(word.line, []).append(word)
        built: list[tuple[BBox, Line]] = []
        for _, ws in sorted(lines.items()):
            ordered = sorted(ws, key=lambda w: w.bbox.x0)
            box = BBox.union([w.bbox for w in ordered])
            built.append((box, Line([Word(w.text, w.bbox, max(0.0, min(1.0, w.confidence))) for w in ordered], box)))
        built.sort(key=lambda row: (row[0].y0, row[0].x0))
        blocks: list[list[Line]] = []
        last: BBox | None = None  # the box of the previous line
        for box, line in built:
            if last is not None:
                gap = box.y0 - last.y1
                overlaps = min(box.x1, last.x1) > max(box.x0, last.x0)
                if overlaps and gap <= BLOCK_GAP * max(1, last.height):
                    blocks[-1].append(line)
                    last = box
                    continue
            blocks.append([line])
            last = box
        return Page(
            width=width,
            height=height,
            blocks=[Block(b) for b in blocks],
            rotation=rotation,
            source_width=source.width,
            source_height=source.height,
            dpi=source.dpi,
        )


def _on_page(word: ReadWord, leveled: deskew.Leveled) -> ReadWord:
    """`word` read on the levelled page, its boxes taken back to the page as it was."""

    def back(box: BBox) -> BBox:
        return BBox(*leveled.to_source((box.x0, box.y0, box.x1, box.y1)))

    return dataclasses.replace(word, bbox=back(word.bbox), char_boxes=[back(box) for box in word.char_boxes])
