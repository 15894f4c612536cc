"""Preprocessing, the shipped weights, and a tiny training run."""
from __future__ import annotations

import numpy as np
import pytest

from inhouse.recognizer.preprocess import SPEC, batch_images, preprocess

from .conftest import clean_render


def test_preprocess_is_polarity_invariant():
    img = np.full((30, 90), 240, np.uint8)
    img[10:20, 10:80] = 20
    dark_on_light, light_on_dark = preprocess(img), preprocess(255 - img)
    assert dark_on_light.shape == (SPEC.height, 96)
    assert np.allclose(dark_on_light, light_on_dark, atol=0.05)
    assert dark_on_light[16, 48] > 0.9 and dark_on_light[2, 2] < 0.1  # ink = 1, paper = 0


def test_batch_pads_to_bucket_with_time_steps():
    batch, steps = batch_images([np.ones((SPEC.height, 40), np.float32), np.ones((SPEC.height, 70), np.float32)])
    assert batch.shape == (2, SPEC.height, 96, 1)
    assert steps.tolist() == [10, 18]
    assert batch[0, :, 40:].max() == 0


def test_shipped_weights_read_clean_words(clean_fonts):
    from inhouse.recognizer.predictor import WordRecognizer

    rec = WordRecognizer.load()
    words = ["TOTAL", "invoice", "12.90", "Amount:"]
    crops = [clean_render(w, clean_fonts[0]) for w in words]
    results = rec.recognize_batch(crops)
    assert [t for t, _ in results] == words
    assert all(0.0 <= c <= 1.0 for _, c in results)


def test_missing_weights_error_is_clear(tmp_path):
    from inhouse.recognizer.predictor import WeightsMissingError, WordRecognizer
    from kernel.errors import EngineUnavailableError

    with pytest.raises(WeightsMissingError, match="train them") as raised:
        WordRecognizer.load(tmp_path)
    assert isinstance(raised.value, EngineUnavailableError)


def test_tiny_training_run_lowers_loss(registry):
    import tensorflow as tf

    from training.data import _init_worker, _make_chunk, make_batch
    from training.model import ModelConfig, build_model
    from training.synth.generator import SynthConfig
    from training.train import make_train_step

    tf.random.set_seed(0)
    _init_worker(SynthConfig(seed=5))
    samples = [s for s in _make_chunk(0, 64) if 40 <= s[0].shape[1] <= 96][:16]
    images, steps, labels, lengths, _ = make_batch(samples)
    model = build_model(ModelConfig(conv_filters=(8, 8, 16, 16, 16, 16), lstm_units=16, lstm_layers=1))
    step = make_train_step(model, tf.keras.optimizers.Adam(3e-3))
    losses = [float(step(images, steps, labels, lengths)) for _ in range(25)]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


def test_recognize_batch_is_thread_safe(clean_fonts):
    from concurrent.futures import ThreadPoolExecutor

    from inhouse.recognizer.predictor import WordRecognizer

    rec = WordRecognizer.load()
    crops = [clean_render(w, f) for w in ("Receipt", "RM3.50", "12/05/2019") for f in clean_fonts]
    expected = rec.recognize_batch(crops)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: rec.recognize_batch(crops), range(8)))
    assert all(r == expected for r in results)


def _tiny_model_dir(path, seed, lstm_units=16):
    import json
    from dataclasses import asdict

    import tensorflow as tf

    from inhouse.recognizer.model_files import CONFIG_FILE, WEIGHTS_FILE
    from training.model import ModelConfig, build_model

    tf.random.set_seed(seed)
    config = ModelConfig(conv_filters=(8, 8, 16, 16, 16, 16), lstm_units=lstm_units, lstm_layers=1)
    model = build_model(config)
    path.mkdir()
    (path / CONFIG_FILE).write_text(json.dumps({"model": asdict(config)}))
    model.save_weights(str(path / WEIGHTS_FILE))
    return model.get_weights()


def test_soup_averages_two_models_weights(tmp_path):
    from training.model import load_model
    from training.soup import average

    first, second = _tiny_model_dir(tmp_path / "a", 1), _tiny_model_dir(tmp_path / "b", 2)
    average(tmp_path / "a", tmp_path / "b", tmp_path / "soup", alpha=0.25)
    souped = load_model(tmp_path / "soup").get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(first, second))
    for a, b, s in zip(first, second, souped):
        assert np.allclose(s, 0.75 * a + 0.25 * b, atol=1e-6)


def test_soup_refuses_different_architectures(tmp_path):
    from training.soup import average

    _tiny_model_dir(tmp_path / "a", 1)
    _tiny_model_dir(tmp_path / "b", 1, lstm_units=8)
    with pytest.raises(SystemExit, match="different model configs"):
        average(tmp_path / "a", tmp_path / "b", tmp_path / "soup")
    assert not (tmp_path / "soup").exists()


@pytest.mark.parametrize("size", [1, 2, 7, 50, 1001])
def test_percentiles_equal_numpys(size):
    from inhouse.recognizer.preprocess import percentiles

    values = np.random.default_rng(size).integers(0, 255, size).astype(np.float32)
    assert np.allclose(percentiles(values, (2.0, 50.0, 98.0)), np.percentile(values, (2.0, 50.0, 98.0)), atol=1e-5)
