"""Forward passes of the Word Deep Net on ONNX Runtime: a batch (N, 32, W, 1) in, logits
(N, W / 4, classes) out.

Serving runs the int8 copy of the weights (`word_deep_net.int8.onnx`, built by
`python -m training.quantize`): about a third of TensorFlow's CPU per word, at an accuracy cost
that `python -m training.validate` measures. Training tools also run the float graph built from
the Keras model (`training.onnx_graph`) and the Keras model itself (`training.runtimes`); serving
never imports TensorFlow. Safe to call from several threads.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

import numpy as np


class Runtime(Protocol):
    name: str

    def __call__(self, batch: np.ndarray) -> np.ndarray: ...


class OnnxRuntime:
    """ONNX Runtime on a saved ONNX file (`path`, the int8 serving copy) or on a serialised model
    (`model_bytes`, e.g. the float graph of a Keras model)."""

    def __init__(
        self, path: Path | None = None, threads: int = 0, *, model_bytes: bytes | None = None, name: str | None = None
    ) -> None:
        import onnxruntime as ort

        if (path is None) == (model_bytes is None):
            raise ValueError("give exactly one of path and model_bytes")
        self.name = name or ("onnx-int8" if path is not None else "onnx")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        # idle worker threads sleep instead of spinning: with pages read in parallel, spinning
        # threads would take the cores that the other page's detection needs
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        source = str(path) if path is not None else model_bytes
        self._session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return self._session.run(None, {"image": batch})[0]  # InferenceSession.run is thread-safe
