"""Forward passes of the Word Deep Net: a batch (N, 32, W, 1) in, logits (N, W / 4, classes) out.

Two runtimes compute the same logits (to about 1e-5): ONNX Runtime, the default for serving
because it needs about a third less CPU per word, and TensorFlow, which trained the weights and
is the fallback when onnxruntime is not installed. Both are safe to call from several threads.
"""

from __future__ import annotations

import os
import threading
from typing import Protocol

import numpy as np

RUNTIMES = ("auto", "onnx", "tensorflow")


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
    name = "onnx"

    def __init__(self, model, threads: int = 0) -> None:
        import onnxruntime as ort

        from inhouse.recognizer.onnx_graph import to_onnx

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # idle worker threads sleep instead of spinning: with pages read in parallel, spinning
        # threads would take the cores that the other page's detection needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        self._session = ort.InferenceSession(to_onnx(model), options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"image": batch})[0]  # InferenceSession.run is thread-safe


def make_runtime(model, name: str = "auto", threads: int = 0) -> Runtime:
    """The runtime called `name`; "auto" picks ONNX Runtime when it is installed."""
    if name not in RUNTIMES:
        raise ValueError(f"unknown recognizer runtime {name!r} (known: {', '.join(RUNTIMES)})")
    if name in ("auto", "onnx"):
        try:
            return OnnxRuntime(model, threads)
        except ImportError:
            if name == "onnx":
                raise
    return TensorflowRuntime(model)
