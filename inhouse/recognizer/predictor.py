"""Inference API: `WordRecognizer.load().recognize_batch(crops) -> [(text, confidence)]`.

Crops are grouped by width bucket so each forward pass pads little; the runtime (ONNX Runtime,
or TensorFlow without it: see `runtime.py`) spreads each batch over the cores. Confidence is the
calibrated probability that the word is exactly right.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from inhouse.recognizer.calibration import Calibration
from inhouse.recognizer.ctc import beam_decode, greedy_decode
from inhouse.recognizer.quantize import current_int8
from inhouse.recognizer.preprocess import batch_images, bucket_width, preprocess
from inhouse.recognizer.runtime import make_runtime

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models"
WEIGHTS_FILE = "word_deep_net.weights.h5"
CONFIG_FILE = "word_deep_net.json"
CALIBRATION_FILE = "calibration.json"


class WeightsMissingError(FileNotFoundError):
    pass


@dataclass(frozen=True)
class PredictorConfig:
    batch_size: int = 64
    beam_width: int = 0  # 0: greedy decoding (fast); >1: prefix beam search
    threads: int = 0  # 0: all cores
    runtime: str = "auto"  # see runtime.py: "onnx-int8", "onnx", "tensorflow", or the first available


class WordRecognizer:
    def __init__(self, model, calibration: Calibration, config: PredictorConfig = PredictorConfig(),
                 int8: Path | None = None) -> None:
        self.model = model
        self.calibration = calibration
        self.config = config
        self.runtime = make_runtime(model, config.runtime, config.threads, int8)

    @classmethod
    def load(cls, path: str | Path | None = None, config: PredictorConfig = PredictorConfig()) -> "WordRecognizer":
        """Load weights from a model directory (default: the shipped inhouse/models)."""
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        model_dir = Path(path) if path is not None else DEFAULT_MODEL_DIR
        weights, cfg_file = model_dir / WEIGHTS_FILE, model_dir / CONFIG_FILE
        if not weights.exists() or not cfg_file.exists():
            raise WeightsMissingError(
                f"recognizer weights not found in {model_dir} (need {WEIGHTS_FILE} and {CONFIG_FILE}); "
                "train them with `python -m inhouse.recognizer.train` (see docs/inhouse-recognizer.md)"
            )
        import tensorflow as tf

        from inhouse.recognizer.model import ModelConfig, build_model

        if config.threads:
            _try_set_threads(tf, config.threads)
        raw = json.loads(cfg_file.read_text())["model"]
        model_cfg = ModelConfig(**{k: tuple(tuple(p) for p in v) if k == "pools" else tuple(v) if isinstance(v, list) else v
                                   for k, v in raw.items()})
        model = build_model(model_cfg)
        model.load_weights(str(weights))
        return cls(model, Calibration.load(model_dir / CALIBRATION_FILE), config, current_int8(model_dir, weights))

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
            while k + len(group) < len(order) and len(group) < self.config.batch_size and \
                    bucket_width(images[order[k + len(group)]].shape[1]) == width:
                group.append(order[k + len(group)])
            batch, steps = batch_images([images[i] for i in group])
            logits = self.runtime(batch)
            for j, i in enumerate(group):
                out[i] = (logits[j], int(steps[j]))
            k += len(group)
        return [o for o in out if o is not None]

    def recognize_batch(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and calibrated confidence for each grayscale (or RGB) word crop."""
        if not crops:
            return []
        results = []
        for logits, steps in self.logits(crops):
            if self.config.beam_width > 1:
                text, raw = beam_decode(logits, steps, self.config.beam_width, self.calibration.temperature)
            else:
                text, raw = greedy_decode(logits, steps, self.calibration.temperature)
            results.append((text, self.calibration.confidence(raw)))
        return results

    def recognize(self, crop: np.ndarray) -> tuple[str, float]:
        return self.recognize_batch([crop])[0]


def _try_set_threads(tf, n: int) -> None:
    try:
        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)
    except RuntimeError:  # TF already initialised in this process: keep its settings
        pass
