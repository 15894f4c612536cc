"""The synthetic sample generator: corpus x font registry x renderer x augmentations.

`sample(i)` depends only on (seed, i), so any worker can produce any index and two runs with the
same seed produce the same pixels and labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from capture.photometric import degrade_crop
from training.synth.augment import AugmentConfig, augment, negative
from training.synth.corpus import Corpus, CorpusConfig
from training.synth.fonts import FontRegistry
from training.synth.render import RenderConfig, render_word

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
    # share of samples drawn as clean typeset text (papers rendered to images): mostly Computer
    # Modern and serif faces, light damage
    typeset_prob: float = 0.0
    typeset: TypesetProfile = field(default_factory=lambda: TypesetProfile())
    # share of samples then captured as a phone would (`capture.degrade_crop`: light, shadow edges,
    # glare, defocus, shake, sensor noise, JPEG), the page simulator's photometric model on one word
    photo_prob: float = 0.0


@dataclass(frozen=True)
class TypesetProfile:
    kind_weights: dict[str, float] = field(
        default_factory=lambda: {"cm": 0.45, "serif": 0.25, "sans": 0.2, "mono": 0.05, "typewriter": 0.05}
    )
    # papers set reference titles, emphasis and variables in italics: undo most of the general damping
    italic_boost: float = 2.5
    render: RenderConfig = field(
        default_factory=lambda: RenderConfig(
            size_range=(24, 44),
            bold_prob=0.05,
            tracking_prob=0.0,
            rotation_prob=0.05,
            underline_prob=0.0,
            neighbour_prob=0.4,
            side_context_prob=0.1,
            ink_range=(0, 40),
            paper_range=(230, 256),
            inverted_prob=0.0,
        )
    )
    augment: AugmentConfig = field(
        default_factory=lambda: AugmentConfig(
            thermal_prob=0.0,
            elastic_prob=0.02,
            perspective_prob=0.0,
            texture_prob=0.05,
            shadow_prob=0.0,
            crease_prob=0.0,
            fade_prob=0.05,
            lowres_prob=0.15,
            lowres_target_height=(18, 30),
            blur_prob=0.15,
            noise_prob=0.15,
            salt_pepper_prob=0.0,
            binarize_prob=0.05,
            jpeg_prob=0.1,
        )
    )


class SynthGenerator:
    def __init__(self, config: SynthConfig = SynthConfig(), fonts: FontRegistry | None = None) -> None:
        self.config = config
        self.fonts = fonts or FontRegistry.load()
        self.typeset_fonts = FontRegistry(
            self.fonts.fonts,
            replace(self.fonts.policy, kind_weights=config.typeset.kind_weights),
            italic_boost=config.typeset.italic_boost,
        )
        self.corpus = Corpus(config.corpus, seed=config.seed)

    def sample(self, index: int) -> tuple[np.ndarray, str]:
        """(grayscale uint8 crop, label) for sample number `index`."""
        rng = np.random.default_rng([self.config.seed, index])
        if rng.random() < self.config.negative_prob:
            h = int(rng.integers(14, 60))
            return negative(rng, h, int(h * rng.uniform(0.5, 6))), ""
        typeset = rng.random() < self.config.typeset_prob
        fonts = self.typeset_fonts if typeset else self.fonts
        for _ in range(10):
            text = self.corpus.sample(rng)
            font = fonts.sample(rng, text)
            if font is not None:
                break
        else:
            raise RuntimeError("no font can draw the sampled texts")
        if typeset:
            crop = augment(render_word(text, font, rng, self.config.typeset.render), rng, self.config.typeset.augment)
        else:
            bias = self.config.thermal_bias if font.kind in THERMAL_KINDS else 1.0
            crop = render_word(text, font, rng, self.config.render)
            crop = augment(crop, rng, self.config.augment, thermal_bias=bias)
        if rng.random() < self.config.photo_prob:
            crop = degrade_crop(crop, rng)
        return crop, text
