"""The recognizer's second look: which crops it reads again, in which views, and what it keeps."""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import pytest

from inhouse.recognizer.predictor import PredictorConfig, WordRecognizer
from inhouse.recognizer.second_look import SecondLook, stretched
from inhouse.sharpen import unsharp

from .conftest import clean_render


class CountingRuntime:
    """The shipped runtime, counting the crops each forward pass reads."""

    def __init__(self, runtime):
        self.runtime, self.name, self.crops_read = runtime, runtime.name, 0

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self.crops_read += len(batch)
        return self.runtime(batch)


@pytest.fixture(scope="module")
def shipped() -> WordRecognizer:
    return WordRecognizer.load()


def _with(shipped: WordRecognizer, look: SecondLook | None) -> WordRecognizer:
    config = dataclasses.replace(shipped.config, second_look=look)
    return WordRecognizer(CountingRuntime(shipped.runtime), shipped.calibration, config)


def _blurred(crop: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(crop, (0, 0), sigma)


def test_views_sharpen_and_stretch():
    crop = np.full((20, 50), 230, np.uint8)
    crop[5:15, 10:40] = 30
    soft = _blurred(crop, 2.0)
    views = SecondLook().views(soft)
    assert [v.shape for v in views] == [(20, 50), (20, 50), (20, 60), (20, 42)]
    assert all(v.dtype == np.uint8 for v in views)
    edge = lambda img: float(np.abs(np.diff(img.astype(np.float32), axis=1)).max())  # noqa: E731
    assert edge(unsharp(soft, 1.0, 1.0)) > 1.1 * edge(soft)  # steeper strokes
    assert unsharp(crop.astype(np.float32) / 255, 1.0, 1.0).dtype == np.float32
    assert stretched(np.zeros((8, 1), np.uint8), 0.5).shape == (8, 1)
    assert SecondLook().views(np.zeros((0, 0), np.uint8)) == []


def test_only_doubtful_crops_are_read_again(shipped, clean_fonts):
    crops = [clean_render(w, f) for w in ("TOTAL", "12.90") for f in clean_fonts]
    never = _with(shipped, SecondLook(below=0.0))
    always = _with(shipped, SecondLook(below=1.01))
    first = never.recognize_batch(crops, second_look=True)
    assert never.runtime.crops_read == len(crops)
    always.recognize_batch(crops, second_look=True)
    assert always.runtime.crops_read == len(crops) * (1 + len(SecondLook().views(crops[0])))
    # clean words keep their (right) reading, whatever view wins
    assert [t for t, _ in always.recognize_batch(crops, second_look=True)] == [t for t, _ in first]


#: log probability per time step by which int8 logits of one crop differ between the batches it is read in
PER_STEP_NOISE = 0.005


def test_second_look_keeps_the_likeliest_reading_per_step(shipped, clean_fonts):
    look = SecondLook(below=1.01)
    crops = [_blurred(clean_render(w, f), 3.5) for w in ("Invoice", "RM3.50", "Amount:") for f in clean_fonts]
    reader = _with(shipped, look)
    chosen = reader.recognize_batch(crops, second_look=True)
    first = reader.recognize_batch(crops)
    assert chosen != first  # heavy blur: some view reads some crop otherwise
    for crop, (text, confidence) in zip(crops, chosen, strict=True):
        candidates = [reader._decode(*lg) for lg in reader.logits([crop, *look.views(crop)])]
        best = max(c.per_step for c in candidates)
        # int8 logits move a little with the batch a crop is read in, so a reading within that noise of
        # the likeliest (here 'AmOUnt' at -0.0539 per step against 'AmoUnt' at -0.0538) may win instead
        likeliest = [c for c in candidates if c.per_step >= best - PER_STEP_NOISE]
        assert any(
            text == c.text
            and confidence == pytest.approx(reader.calibration.confidence(c.raw, second_look=True), abs=0.02)
            for c in likeliest
        ), (text, [(c.text, round(c.per_step, 4)) for c in candidates])


def test_no_second_look_without_the_config_or_the_ask(shipped, clean_fonts):
    crops = [_blurred(clean_render("Invoice", f), 3.5) for f in clean_fonts]
    off = _with(shipped, None)
    assert off.recognize_batch(crops, second_look=True) == off.recognize_batch(crops)
    on = _with(shipped, SecondLook(below=1.01))
    on.recognize_batch(crops)
    assert on.runtime.crops_read == len(crops)


def test_engine_version_names_the_second_look():
    from inhouse.engine import InhouseEngine

    looks = InhouseEngine().version, InhouseEngine(predictor=PredictorConfig(second_look=None)).version
    assert looks[0] != looks[1]


def test_second_look_readings_have_a_calibration_of_their_own(shipped, clean_fonts):
    from training.calibrate import fit_second_look, reliability

    words = ("Invoice", "RM3.50", "Amount:", "TOTAL", "Receipt", "12/05/2019")
    crops = [_blurred(clean_render(w, f), s) for w in words for f in clean_fonts for s in (2.5, 3.5)]
    truth = [w for w in words for _ in clean_fonts for _ in (2.5, 3.5)]
    reader = _with(shipped, SecondLook(below=1.01))
    reader.calibration = dataclasses.replace(shipped.calibration, second_xs=[], second_ys=[], report={})
    chosen = reader.readings(crops, second_look=True)
    assert all(r.looked_again for r in chosen)
    correct = np.array([r.text == t for r, t in zip(chosen, truth, strict=True)], float)
    before = np.array([c for _, c in reader.recognize_batch(crops, second_look=True)])  # the first look's map

    fit_second_look(reader, crops, lambda i, text: text == truth[i])
    after = np.array([c for _, c in reader.recognize_batch(crops, second_look=True)])
    assert reader.calibration.second_xs and reader.calibration.report["second_look"]["after"]["n"] == len(crops)
    assert reliability(after, correct)["ece"] < reliability(before, correct)["ece"]
    assert reader.recognize_batch(crops) == shipped.recognize_batch(crops)  # the first look keeps its map
