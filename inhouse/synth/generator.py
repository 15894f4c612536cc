"""The synthetic sample generator: corpus x font registry x renderer x augmentations.

`sample(i)` depends only on (seed, i), so any worker can produce any index and two runs with the
same seed produce the same pixels and labels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from inhouse.synth.augment import AugmentConfig, augment, negative
from inhouse.synth.corpus import Corpus, CorpusConfig
from inhouse.synth.fonts import FontRegistry
from inhouse.synth.render import RenderConfig, render_word

THERMAL_KINDS = ("thermal", "mono", "typewriter", "ocr")


@dataclass(frozen=True)
class SynthConfig:
    seed: int = 0
    negative_prob: float = 0.03
    corpus: CorpusConfig = field(default_factory=CorpusConfig)
    render: RenderConfig = field(default_factory=RenderConfig)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    # receipt-printer faces get the thermal/dot-matrix effect more often
    thermal_bias: float = 2.0


class SynthGenerator:
    def __init__(self, config: SynthConfig = SynthConfig(), fonts: FontRegistry | None = None) -> None:
        self.config = config
        self.fonts = fonts or FontRegistry.load()
        self.corpus = Corpus(config.corpus, seed=config.seed)

    def sample(self, index: int) -> tuple[np.ndarray, str]:
        """(grayscale uint8 crop, label) for sample number `index`."""
        rng = np.random.default_rng([self.config.seed, index])
        if rng.random() < self.config.negative_prob:
            h = int(rng.integers(14, 60))
            return negative(rng, h, int(h * rng.uniform(0.5, 6))), ""
        for _ in range(10):
            text = self.corpus.sample(rng)
            font = self.fonts.sample(rng, text)
            if font is not None:
                break
        else:
            raise RuntimeError("no font can draw the sampled texts")
        crop = render_word(text, font, rng, self.config.render)
        bias = self.config.thermal_bias if font.kind in THERMAL_KINDS else 1.0
        return augment(crop, rng, self.config.augment, thermal_bias=bias), text
