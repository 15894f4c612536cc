"""Forward passes of the Word Deep Net: a batch (N, 32, W, 1) in, logits (N, W / 4, classes) out.

Three runtimes:
- "onnx-int8": ONNX Runtime on the int8 copy of the weights (`quantize.py`), the default for
  serving when that copy is current: about a third of TensorFlow's CPU per word, at an accuracy
  cost that `validate.py` measures;
- "onnx": ONNX Runtime on the float graph built from the Keras model, the same logits as
  TensorFlow (to about 1e-5) for a third less CPU;
- "tensorflow", which trained the weights: the fallback when onnxruntime is not installed.
All are safe to call from several threads.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Protocol

import numpy as np

RUNTIMES = ("auto", "onnx-int8", "onnx", "tensorflow")


class Runtime(Protocol):
    name: str

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


class TensorflowRuntime:
    name = "tensorflow"

    def __init__(self, model) -> None:
        import tensorflow as tf

        from inhouse.recognizer.preprocess import SPEC

        self._lock = threading.Lock()  # a Keras model call is not guaranteed re-entrant
        self._predict = tf.function(lambda x: model(x, training=False), reduce_retracing=True,
                                    input_signature=(tf.TensorSpec([None, SPEC.height, None, 1], tf.float32),))

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        with self._lock:
            return self._predict(batch).numpy()


class OnnxRuntime:
    """ONNX Runtime on the float graph of a Keras `model`, or on a saved ONNX file (`path`)."""

    def __init__(self, model=None, threads: int = 0, path: Path | None = None) -> None:
        import onnxruntime as ort

        from inhouse.recognizer.onnx_graph import to_onnx

        self.name = "onnx-int8" if path is not None else "onnx"

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # idle worker threads sleep instead of spinning: with pages read in parallel, spinning
        # threads would take the cores that the other page's detection needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        source = str(path) if path is not None else to_onnx(model)
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"image": batch})[0]  # InferenceSession.run is thread-safe


def make_runtime(model, name: str = "auto", threads: int = 0, int8: Path | None = None) -> Runtime:
    """The runtime called `name`. `int8` is the current int8 model file, if there is one; "auto"
    takes the first of onnx-int8, onnx and tensorflow that is available."""
    if name not in RUNTIMES:
        raise ValueError(f"unknown recognizer runtime {name!r} (known: {', '.join(RUNTIMES)})")
    if name == "onnx-int8" and int8 is None:
        raise FileNotFoundError("no current int8 model: build it with `python -m inhouse.recognizer.quantize`")
    if name in ("auto", "onnx-int8", "onnx"):
        try:
            if name != "onnx" and int8 is not None:
                return OnnxRuntime(threads=threads, path=int8)
            return OnnxRuntime(model, threads)
        except ImportError:
            if name != "auto":
                raise
    return TensorflowRuntime(model)
