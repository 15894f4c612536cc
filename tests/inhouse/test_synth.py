"""Synthetic generator: determinism, label correctness, font validation."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from inhouse.recognizer.charset import in_charset
from training.synth.corpus import Corpus
from training.synth.fonts import validate_font
from training.synth.generator import SynthConfig, SynthGenerator

from .conftest import clean_render


def test_same_seed_same_pixels_and_labels(registry):
    a, b = SynthGenerator(SynthConfig(seed=7), registry), SynthGenerator(SynthConfig(seed=7), registry)
    for i in (0, 1, 17, 1234):
        (img_a, text_a), (img_b, text_b) = a.sample(i), b.sample(i)
        assert text_a == text_b
        assert np.array_equal(img_a, img_b)


def test_different_seed_differs(registry):
    a, b = SynthGenerator(SynthConfig(seed=1), registry), SynthGenerator(SynthConfig(seed=2), registry)
    assert [a.sample(i)[1] for i in range(20)] != [b.sample(i)[1] for i in range(20)]


def test_labels_are_in_charset_and_drawable(registry):
    gen = SynthGenerator(SynthConfig(seed=3), registry)
    for i in range(200):
        img, text = gen.sample(i)
        assert in_charset(text)
        assert img.dtype == np.uint8 and img.ndim == 2 and min(img.shape) > 2


def test_corpus_boosts_digits_and_symbols():
    rng, corpus = np.random.default_rng(0), Corpus()
    texts = "".join(corpus.sample(rng) for _ in range(2000))
    for ch in "/&$%#@:-.0123456789":
        assert ch in texts


def test_font_validation_rejects_fonts_without_letters(registry):
    seven_segment = sorted(Path("/usr/share/fonts").rglob("DSEG7*Regular.ttf"))
    if not seven_segment:
        pytest.skip("fonts-dseg not installed")
    assert validate_font(seven_segment[0]) is None


def test_registry_fonts_distinguish_case(registry):
    assert all(f.supports("AaBbQq09") for f in registry.fonts if not f.caps_only)
    assert registry.summary().get("cm", 0) > 0, "Latin Modern / CMU faces for papers"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_clean_render_reads_back_as_its_label(clean_fonts):
    """Render -> label round trip, read back by an independent OCR engine on clean large text."""
    import pytesseract
    from PIL import Image

    for font in clean_fonts:
        for word in ("Invoice", "TOTAL", "customer"):
            img = clean_render(word, font)
            big = np.pad(img, 20, constant_values=255)
            read = pytesseract.image_to_string(Image.fromarray(big), config="--psm 7").strip()
            assert read == word, (font.family, word, read)
