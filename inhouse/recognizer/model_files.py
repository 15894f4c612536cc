"""The files of a Word Deep Net model directory, and which of them serving may use.

Serving reads the int8 ONNX copy (`word_deep_net.int8.onnx`) with ONNX Runtime, and only while
it is current: its json records the digest of the Keras weights (`word_deep_net.weights.h5`) it
was built from, and hashing that file needs no TensorFlow. `python -m training.quantize` builds it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[1] / "models"
WEIGHTS_FILE = "word_deep_net.weights.h5"
CONFIG_FILE = "word_deep_net.json"
CALIBRATION_FILE = "calibration.json"
INT8_FILE = "word_deep_net.int8.onnx"
INT8_META_FILE = "word_deep_net.int8.json"


@functools.lru_cache(maxsize=8)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:12]


def weights_digest(weights: Path) -> str:
    """The first 12 hex digits of the weights file's SHA-256 (cached per file state)."""
    stat = Path(weights).stat()
    return _digest(str(weights), stat.st_size, stat.st_mtime_ns)


def current_int8(model_dir: Path, weights: Path) -> Path | None:
    """The int8 model of `model_dir` if it was made from these weights, else None."""
    model, meta = model_dir / INT8_FILE, model_dir / INT8_META_FILE
    if not model.exists() or not meta.exists() or not weights.exists():
        return None
    made_from = json.loads(meta.read_text()).get("weights_sha256_12")
    return model if made_from == weights_digest(weights) else None
