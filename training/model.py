"""The Word Deep Net: conv blocks with batch norm -> BiLSTM -> per-time-step softmax for CTC."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
from keras import layers

from inhouse.recognizer.charset import NUM_CLASSES
from inhouse.recognizer.preprocess import SPEC, InputSpec


@dataclass(frozen=True)
class ModelConfig:
    conv_filters: tuple[int, ...] = (32, 64, 96, 96, 128, 128)
    # pooling after each conv block: (height, width); width is pooled twice -> stride 4
    pools: tuple[tuple[int, int], ...] = ((2, 2), (2, 2), (2, 1), (1, 1), (2, 1), (1, 1))
    lstm_units: int = 128
    lstm_layers: int = 2
    dropout: float = 0.2

    def to_dict(self) -> dict:
        return asdict(self)


def build_model(
    config: ModelConfig = ModelConfig(), spec: InputSpec = SPEC, num_classes: int = NUM_CLASSES
) -> keras.Model:
    """Input (batch, H, W, 1) with ink = 1; output logits (batch, W / 4, num_classes)."""
    inp = keras.Input(shape=(spec.height, None, 1), name="image")
    x = inp
    for filters, pool in zip(config.conv_filters, config.pools, strict=False):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.ReLU()(x)
        if pool != (1, 1):
            x = layers.MaxPool2D(pool_size=pool, strides=pool)(x)
    # collapse the remaining height into the feature axis: (batch, W', H' * C)
    x = layers.Permute((2, 1, 3))(x)
    h_left = spec.height // _prod(p[0] for p in config.pools)
    x = layers.Reshape((-1, h_left * config.conv_filters[-1]))(x)
    x = layers.Dense(config.lstm_units * 2, activation="relu")(x)
    x = layers.Dropout(config.dropout)(x)
    for _ in range(config.lstm_layers):
        x = layers.Bidirectional(layers.LSTM(config.lstm_units, return_sequences=True))(x)
    logits = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inp, logits, name="word_deep_net")


def config_from_json(raw: dict) -> ModelConfig:
    """A ModelConfig from its JSON form (lists back to tuples)."""
    fields: dict[str, Any] = {
        k: tuple(tuple(p) for p in v) if k == "pools" else tuple(v) if isinstance(v, list) else v
        for k, v in raw.items()
    }
    return ModelConfig(**fields)


def load_model(model_dir: Path, threads: int = 0) -> keras.Model:
    """The Keras model of a model directory (`word_deep_net.json` + `word_deep_net.weights.h5`)."""
    from inhouse.recognizer.model_files import CONFIG_FILE, WEIGHTS_FILE
    from inhouse.recognizer.predictor import WeightsMissingError

    weights, cfg_file = model_dir / WEIGHTS_FILE, model_dir / CONFIG_FILE
    if not weights.exists() or not cfg_file.exists():
        raise WeightsMissingError(
            f"recognizer weights not found in {model_dir} (need {WEIGHTS_FILE} and {CONFIG_FILE}); "
            "train them with `python -m training.train` (see docs/inhouse-recognizer.md)"
        )
    if threads:
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(threads)
        except RuntimeError:  # TF already initialised in this process: keep its settings
            pass
    model = build_model(config_from_json(json.loads(cfg_file.read_text())["model"]))
    model.load_weights(str(weights))
    return model


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out
