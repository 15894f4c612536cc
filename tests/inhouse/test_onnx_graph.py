"""The ONNX translation of the Word Deep Net computes TensorFlow's logits, and serving reads the
current int8 copy only."""
from __future__ import annotations

import numpy as np
import pytest

from .conftest import clean_render

pytest.importorskip("onnxruntime")


def _random_model(seed: int):
    """A small net whose batch norms have non-trivial statistics, so folding them is tested."""
    import tensorflow as tf

    from training.model import ModelConfig, build_model

    tf.random.set_seed(seed)
    model = build_model(ModelConfig(conv_filters=(8, 8, 16, 16, 16, 16), lstm_units=16, lstm_layers=2))
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 2, gamma.shape), rng.normal(0, 0.5, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.2, 3, var.shape)])
        elif type(layer).__name__ == "Bidirectional":  # trained LSTMs have non-zero biases
            layer.set_weights([w + rng.normal(0, 0.1, w.shape) for w in layer.get_weights()])
    return model


@pytest.mark.parametrize("batch,width", [(1, 16), (5, 96), (3, 512)])
def test_onnx_logits_match_tensorflow(batch, width):
    from training.runtimes import TensorflowRuntime, float_onnx_runtime

    model = _random_model(batch)
    images = np.random.default_rng(width).random((batch, 32, width, 1), dtype=np.float32)
    expected, got = TensorflowRuntime(model)(images), float_onnx_runtime(model)(images)
    assert got.shape == expected.shape == (batch, width // 4, expected.shape[-1])
    assert np.abs(got - expected).max() < 1e-4 * max(1.0, np.abs(expected).max())


def test_shipped_model_reads_the_same_words_on_both_runtimes(clean_fonts):
    from training.runtimes import load_recognizer

    crops = [clean_render(w, f) for w in ("Subtotal", "RM12.50", "Invoice:", "07/11/2018") for f in clean_fonts]
    onnx, tensorflow = load_recognizer(runtime="onnx"), load_recognizer(runtime="tensorflow")
    assert (onnx.runtime.name, tensorflow.runtime.name) == ("onnx", "tensorflow")
    for (text_a, conf_a), (text_b, conf_b) in zip(onnx.recognize_batch(crops), tensorflow.recognize_batch(crops)):
        assert text_a == text_b and abs(conf_a - conf_b) < 1e-3


def test_unknown_runtime_is_refused():
    from training.runtimes import make_runtime

    with pytest.raises(ValueError, match="unknown recognizer runtime"):
        make_runtime(None, "torch")


def test_layers_without_translation_are_refused():
    import keras

    from training.onnx_graph import to_onnx

    inp = keras.Input(shape=(32, None, 1))
    model = keras.Model(inp, keras.layers.GaussianNoise(0.1)(inp))
    with pytest.raises(ValueError, match="no ONNX translation"):
        to_onnx(model)


def test_shipped_int8_model_is_current_and_reads_like_the_float_one(clean_fonts):
    from inhouse.recognizer.predictor import WordRecognizer
    from training.runtimes import load_recognizer

    int8 = WordRecognizer.load()
    assert int8.runtime.name == "onnx-int8", "rebuild it: python -m training.quantize"
    crops = [clean_render(w, f) for w in ("TOTAL", "invoice", "12.90", "Amount:") for f in clean_fonts]
    float32 = load_recognizer(runtime="onnx")
    assert [t for t, _ in int8.recognize_batch(crops)] == [t for t, _ in float32.recognize_batch(crops)]


def _copy_model_dir(tmp_path, names):
    import shutil

    from inhouse.recognizer.model_files import DEFAULT_MODEL_DIR

    for name in names:
        shutil.copy(DEFAULT_MODEL_DIR / name, tmp_path / name)


def test_stale_int8_model_is_not_served(tmp_path):
    from inhouse.recognizer.model_files import INT8_FILE, INT8_META_FILE, WEIGHTS_FILE, current_int8
    from inhouse.recognizer.predictor import WordRecognizer
    from kernel.errors import EngineUnavailableError
    from training.runtimes import load_recognizer

    _copy_model_dir(tmp_path, (WEIGHTS_FILE, INT8_FILE, INT8_META_FILE, "word_deep_net.json", "calibration.json"))
    assert current_int8(tmp_path, tmp_path / WEIGHTS_FILE) is not None
    assert WordRecognizer.load(tmp_path).runtime.name == "onnx-int8"
    with open(tmp_path / WEIGHTS_FILE, "ab") as weights:  # as if the weights were retrained
        weights.write(b"\0")
    assert current_int8(tmp_path, tmp_path / WEIGHTS_FILE) is None
    with pytest.raises(EngineUnavailableError, match=r"stale.*python -m training\.quantize"):
        WordRecognizer.load(tmp_path)
    with pytest.raises(FileNotFoundError, match="training.quantize"):
        load_recognizer(tmp_path, "onnx-int8")


def test_missing_int8_model_is_unavailable_with_the_command_to_build_it(tmp_path):
    from inhouse.recognizer.model_files import WEIGHTS_FILE
    from inhouse.recognizer.predictor import WordRecognizer
    from kernel.errors import EngineUnavailableError

    _copy_model_dir(tmp_path, (WEIGHTS_FILE, "word_deep_net.json", "calibration.json"))
    with pytest.raises(EngineUnavailableError, match=r"missing.*python -m training\.quantize"):
        WordRecognizer.load(tmp_path)
