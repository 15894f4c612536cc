"""`python -m training.quantize [--model DIR]`: an int8 copy of the shipped Word Deep Net for serving.

Convolutions get static int8 quantization (per-channel weights, activation ranges calibrated on
real word crops from the fit part of the `train` split plus synthetic typeset words), the
BiLSTMs dynamic int8 weights. On VNNI cores that reads words about twice as fast as the float
graph; `python -m training.validate --runtime onnx onnx-int8` measures what it costs
in accuracy, never on dev. The file records the digest of the weights it was made from, so a
stale copy (weights retrained, int8 not rebuilt) is noticed and not served: serving checks it
with `inhouse.recognizer.model_files.current_int8` and refuses to start without a current copy.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from inhouse.recognizer.model_files import (
    DEFAULT_MODEL_DIR,
    INT8_FILE,
    INT8_META_FILE,
    WEIGHTS_FILE,
    current_int8,
    weights_digest,
)

__all__ = ["INT8_FILE", "INT8_META_FILE", "calibration_batches", "current_int8", "quantize", "weights_digest"]

CALIBRATION_SYNTH_SEED = 424_242  # typeset words for activation ranges; no training run uses it


def calibration_batches(crops: list[np.ndarray], batch_size: int = 32) -> list[np.ndarray]:
    """Crops preprocessed and batched by width bucket, as the predictor batches them."""
    from inhouse.recognizer.preprocess import batch_images, bucket_width, preprocess

    images = sorted((preprocess(c) for c in crops), key=lambda im: im.shape[1])
    by_bucket: dict[int, list[np.ndarray]] = {}
    for image in images:
        by_bucket.setdefault(bucket_width(image.shape[1]), []).append(image)
    return [
        batch_images(group[k : k + batch_size])[0]
        for group in by_bucket.values()
        for k in range(0, len(group), batch_size)
    ]


def quantize(float_onnx: bytes, batches: list[np.ndarray], out: Path) -> None:
    """Write the int8 model of `float_onnx` to `out`, calibrated on `batches`."""
    from onnxruntime.quantization import (
        CalibrationDataReader,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Batches(CalibrationDataReader):
        def __init__(self) -> None:
            self._left = iter(batches)

        def get_next(self):
            batch = next(self._left, None)
            return None if batch is None else {"image": batch}

    with tempfile.TemporaryDirectory() as tmp:
        source, prepared, convs = Path(tmp, "float.onnx"), Path(tmp, "prepared.onnx"), Path(tmp, "convs.onnx")
        source.write_bytes(float_onnx)
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        quantize_static(
            str(prepared),
            str(convs),
            Batches(),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["Conv"],
        )
        quantize_dynamic(str(convs), str(out), weight_type=QuantType.QInt8, op_types_to_quantize=["LSTM"])


def main(argv: list[str] | None = None) -> None:
    from training.model import load_model
    from training.onnx_graph import to_onnx
    from training.realcrops import cut_crops
    from training.synth.generator import SynthConfig, SynthGenerator

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", type=Path, default=DEFAULT_MODEL_DIR)
    ap.add_argument("--real", type=int, default=600, help="real train crops for calibration")
    ap.add_argument("--typeset", type=int, default=200, help="synthetic typeset words for calibration")
    args = ap.parse_args(argv)
    model = load_model(args.model)
    real = cut_crops(holdout=False)
    picked = np.random.default_rng(0).choice(len(real), size=min(args.real, len(real)), replace=False)
    generator = SynthGenerator(SynthConfig(seed=CALIBRATION_SYNTH_SEED, typeset_prob=1.0, negative_prob=0.0))
    crops = [real[i].image for i in picked] + [generator.sample(i)[0] for i in range(args.typeset)]
    out = args.model / INT8_FILE
    quantize(to_onnx(model), calibration_batches(crops), out)
    meta = {
        "weights_sha256_12": weights_digest(args.model / WEIGHTS_FILE),
        "calibration_crops": len(crops),
        "real_train_crops": len(picked),
        "synthetic_typeset": args.typeset,
        "scheme": "Conv: static QDQ, per-channel int8 weights, uint8 activations; LSTM: dynamic int8 weights",
    }
    (args.model / INT8_META_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    print(json.dumps({"wrote": str(out), "bytes": out.stat().st_size, **meta}))


if __name__ == "__main__":
    main()
