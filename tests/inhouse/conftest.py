"""Fixtures for the in-house recognizer tests: the font registry and clean renders."""
from __future__ import annotations

import numpy as np
import pytest

from training.synth.fonts import FontInfo, FontRegistry
from training.synth.render import RenderConfig, render_word

CLEAN = RenderConfig(bold_prob=0.0, tracking_prob=0.0, rotation_prob=0.0, underline_prob=0.0,
                     neighbour_prob=0.0, inverted_prob=0.0, pad_jitter=(0, 0), size_range=(40, 40),
                     ink_range=(0, 1), paper_range=(255, 256))
CLEAN_FAMILIES = ("Liberation Sans", "Liberation Serif", "DejaVu Sans")


@pytest.fixture(scope="session")
def registry() -> FontRegistry:
    try:
        return FontRegistry.load()
    except RuntimeError as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def clean_fonts(registry: FontRegistry) -> list[FontInfo]:
    fonts = [f for f in registry.fonts if f.family in CLEAN_FAMILIES and f.style == "Regular"]
    if not fonts:
        pytest.skip("Liberation/DejaVu fonts not installed (apt-packages-test.txt)")
    seen, out = set(), []
    for f in fonts:
        if f.family not in seen:
            seen.add(f.family)
            out.append(f)
    return out


def clean_render(text: str, font: FontInfo) -> np.ndarray:
    return render_word(text, font, np.random.default_rng(0), CLEAN)
