"""The Word Deep Net: conv blocks with batch norm -> BiLSTM -> per-time-step softmax for CTC."""
from __future__ import annotations

from dataclasses import asdict, dataclass

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


def build_model(config: ModelConfig = ModelConfig(), spec: InputSpec = SPEC,
                num_classes: int = NUM_CLASSES) -> keras.Model:
    """Input (batch, H, W, 1) with ink = 1; output logits (batch, W / 4, num_classes)."""
    inp = keras.Input(shape=(spec.height, None, 1), name="image")
    x = inp
    for filters, pool in zip(config.conv_filters, config.pools):
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


def _prod(values) -> int:
    out = 1
    for v in values:
        out *= v
    return out
