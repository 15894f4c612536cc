"""Recognizers for training tools: the Keras model on TensorFlow, its float ONNX graph, or the int8
serving copy, all behind the serving `WordRecognizer` (same batching, decoding and calibration).

    load_recognizer(model_dir, "tensorflow" | "onnx" | "onnx-int8" | "auto")

"auto" is the int8 copy when it is current, else the float graph. Serving never comes here: it
loads the int8 copy with `WordRecognizer.load` and needs no TensorFlow.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from inhouse.recognizer.calibration import Calibration
from inhouse.recognizer.model_files import CALIBRATION_FILE, DEFAULT_MODEL_DIR, WEIGHTS_FILE, current_int8
from inhouse.recognizer.predictor import PredictorConfig, WordRecognizer
from inhouse.recognizer.runtime import OnnxRuntime

RUNTIMES = ("auto", "onnx-int8", "onnx", "tensorflow")
_DEFAULT_CONFIG = PredictorConfig()  # frozen: one instance serves as every call's default


class TensorflowRuntime:
    name = "tensorflow"

    def __init__(self, model) -> None:
        import tensorflow as tf

        from inhouse.recognizer.preprocess import SPEC

        self._lock = threading.Lock()  # a Keras model call is not guaranteed re-entrant
        self._predict = tf.function(
            lambda x: model(x, training=False),
            reduce_retracing=True,
            input_signature=(tf.TensorSpec([None, SPEC.height, None, 1], tf.float32),),
        )

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            return self._predict(batch).numpy()


def float_onnx_runtime(model, threads: int = 0) -> OnnxRuntime:
    """ONNX Runtime on the float graph of a Keras model (same logits as TensorFlow to ~1e-5)."""
    from training.onnx_graph import to_onnx

    return OnnxRuntime(threads=threads, model_bytes=to_onnx(model), name="onnx")


def make_runtime(model, name: str = "auto", threads: int = 0, int8: Path | None = None):
    """The runtime called `name` over a Keras `model`; `int8` is the current int8 file, if any."""
    if name not in RUNTIMES:
        raise ValueError(f"unknown recognizer runtime {name!r} (known: {', '.join(RUNTIMES)})")
    if name == "onnx-int8" and int8 is None:
        raise FileNotFoundError("no current int8 model: build it with `python -m training.quantize`")
    if name == "tensorflow":
        return TensorflowRuntime(model)
    if name != "onnx" and int8 is not None:
        return OnnxRuntime(int8, threads)
    return float_onnx_runtime(model, threads)


def load_recognizer(
    path: str | Path | None = None, runtime: str = "auto", config: PredictorConfig = _DEFAULT_CONFIG
) -> WordRecognizer:
    """A recognizer over the Keras model of a model directory (`recognizer.model`) on `runtime`."""
    from training.model import load_model

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    model_dir = Path(path) if path is not None else DEFAULT_MODEL_DIR
    model = load_model(model_dir, config.threads)
    int8 = current_int8(model_dir, model_dir / WEIGHTS_FILE)
    return WordRecognizer(
        make_runtime(model, runtime, config.threads, int8),
        Calibration.load(model_dir / CALIBRATION_FILE),
        config,
        model=model,
    )
