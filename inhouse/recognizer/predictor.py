"""Inference API: `WordRecognizer.load().recognize_batch(crops) -> [(text, confidence)]`.

Serving loads the int8 ONNX copy of the weights (`word_deep_net.int8.onnx`) with ONNX Runtime
and nothing else: no TensorFlow, no Keras. The copy must be current (made from the shipped
`word_deep_net.weights.h5`, see `model_files.current_int8`); a missing or stale copy is
`EngineUnavailableError`, never a silent fallback. Training tools build recognizers over other
runtimes (the Keras model, its float ONNX graph) with `training.runtimes.load_recognizer`.

Crops are grouped by width bucket so each forward pass pads little; the runtime spreads each
batch over the cores. Confidence is the calibrated probability that the word is exactly right.
The engine asks for a second look (`second_look.py`): crops read with little confidence are read
again in a few views, and the likeliest reading per time step is kept.
Before each forward pass the recognizer checks the deadline of the engine call in progress
(`kernel.deadline`), so a call past its limit stops at the next batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from inhouse.recognizer.calibration import Calibration
from inhouse.recognizer.ctc import beam_decode, greedy_decode
from inhouse.recognizer.model_files import (
    CALIBRATION_FILE,
    CONFIG_FILE,
    DEFAULT_MODEL_DIR,
    INT8_FILE,
    INT8_META_FILE,
    WEIGHTS_FILE,
    current_int8,
)
from inhouse.recognizer.preprocess import batch_images, bucket_width, preprocess
from inhouse.recognizer.runtime import OnnxRuntime, Runtime
from inhouse.recognizer.second_look import SecondLook
from kernel import deadline
from kernel.errors import EngineUnavailableError

__all__ = [
    "CALIBRATION_FILE",
    "CONFIG_FILE",
    "DEFAULT_MODEL_DIR",
    "WEIGHTS_FILE",
    "PredictorConfig",
    "WeightsMissingError",
    "WordRecognizer",
]


class WeightsMissingError(EngineUnavailableError):
    """The model directory lacks the weights or a current int8 serving copy of them."""


@dataclass(frozen=True)
class PredictorConfig:
    batch_size: int = 64
    beam_width: int = 0  # 0: greedy decoding (fast); >1: prefix beam search
    threads: int = 0  # 0: all cores
    #: how `recognize_batch(..., second_look=True)` reads doubtful crops again; None: it does not
    second_look: SecondLook | None = field(default_factory=SecondLook)


class Reading(NamedTuple):
    text: str
    raw: float  # the decoded labelling's probability, before calibration
    steps: int  # the time steps it was decoded from
    looked_again: bool = False  # chosen by the second look (a doubtful crop)

    @property
    def per_step(self) -> float:
        """Log probability per time step: comparable across views of different widths."""
        return float(np.log(max(self.raw, 1e-300))) / max(self.steps, 1)


class WordRecognizer:
    def __init__(
        self, runtime: Runtime, calibration: Calibration, config: PredictorConfig = PredictorConfig(), model=None
    ) -> None:
        self.runtime = runtime
        self.calibration = calibration
        self.config = config
        self.model = model  # the Keras model, when a training tool built this recognizer over one

    @classmethod
    def load(cls, path: str | Path | None = None, config: PredictorConfig = PredictorConfig()) -> WordRecognizer:
        """The serving recognizer of a model directory (default: the shipped inhouse/models): the
        int8 ONNX copy on ONNX Runtime, with the directory's calibration."""
        model_dir = Path(path) if path is not None else DEFAULT_MODEL_DIR
        weights = model_dir / WEIGHTS_FILE
        if not weights.exists():
            raise WeightsMissingError(
                f"recognizer weights not found in {model_dir} (need {WEIGHTS_FILE}); train them with "
                "`python -m training.train` (see docs/inhouse-recognizer.md)"
            )
        int8 = current_int8(model_dir, weights)
        if int8 is None:
            state = (
                "missing"
                if not (model_dir / INT8_FILE).exists() or not (model_dir / INT8_META_FILE).exists()
                else f"stale (made from other weights than {WEIGHTS_FILE})"
            )
            raise WeightsMissingError(
                f"the int8 serving model {model_dir / INT8_FILE} is {state}; build it with "
                "`python -m training.quantize` (needs the training extra: pip install -e '.[training]')"
            )
        try:
            runtime = OnnxRuntime(int8, config.threads)
        except ImportError as exc:
            raise EngineUnavailableError(
                f"the in-house engine needs ONNX Runtime: pip install -e '.[inhouse]' ({exc})"
            ) from exc
        return cls(runtime, Calibration.load(model_dir / CALIBRATION_FILE), config)

    def logits(self, crops: list[np.ndarray]) -> list[tuple[np.ndarray, int]]:
        """Per crop: (T, C) logits and the number of valid time steps."""
        images = [preprocess(c) for c in crops]
        order = sorted(range(len(images)), key=lambda i: images[i].shape[1])
        out: list[tuple[np.ndarray, int] | None] = [None] * len(images)
        k = 0
        while k < len(order):
            # one bucket per forward pass, at most batch_size crops
            width = bucket_width(images[order[k]].shape[1])
            group = [order[k]]
            while (
                k + len(group) < len(order)
                and len(group) < self.config.batch_size
                and bucket_width(images[order[k + len(group)]].shape[1]) == width
            ):
                group.append(order[k + len(group)])
            batch, steps = batch_images([images[i] for i in group])
            deadline.check()  # a call past its limit stops before the next forward pass
            logits = self.runtime(batch)
            for j, i in enumerate(group):
                out[i] = (logits[j], int(steps[j]))
            k += len(group)
        return [o for o in out if o is not None]

    def _decode(self, logits: np.ndarray, steps: int) -> Reading:
        if self.config.beam_width > 1:
            text, raw = beam_decode(logits, steps, self.config.beam_width, self.calibration.temperature)
        else:
            text, raw = greedy_decode(logits, steps, self.calibration.temperature)
        return Reading(text, raw, steps)

    def recognize_batch(self, crops: list[np.ndarray], *, second_look: bool = False) -> list[tuple[str, float]]:
        """Text and calibrated confidence for each grayscale (or RGB) word crop; with `second_look`,
        doubtful crops are read again in the config's views (none when it has no second look)."""
        return [
            (r.text, self.calibration.confidence(r.raw, r.looked_again))
            for r in self.readings(crops, second_look=second_look)
        ]

    def readings(self, crops: list[np.ndarray], *, second_look: bool = False) -> list[Reading]:
        """Each crop's reading before calibration (what `recognize_batch` and the calibration fit see)."""
        if not crops:
            return []
        readings = [self._decode(logits, steps) for logits, steps in self.logits(crops)]
        if second_look and self.config.second_look is not None:
            readings = self._look_again(crops, readings, self.config.second_look)
        return readings

    def _look_again(self, crops: list[np.ndarray], readings: list[Reading], look: SecondLook) -> list[Reading]:
        """`readings` with each doubtful one replaced by its likeliest view's, per time step."""
        views = [
            (i, view)
            for i, reading in enumerate(readings)
            if self.calibration.confidence(reading.raw) < look.below
            for view in look.views(crops[i])
        ]
        best = list(readings)
        for i in {i for i, _ in views}:
            best[i] = best[i]._replace(looked_again=True)
        for (i, _), (logits, steps) in zip(views, self.logits([view for _, view in views]), strict=True):
            reading = self._decode(logits, steps)._replace(looked_again=True)
            if reading.per_step > best[i].per_step:
                best[i] = reading
        return best

    def recognize(self, crop: np.ndarray, *, second_look: bool = False) -> tuple[str, float]:
        return self.recognize_batch([crop], second_look=second_look)[0]
