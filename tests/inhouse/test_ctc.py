"""CTC decoding on hand-made logits, and confidence calibration."""
from __future__ import annotations

import numpy as np

from inhouse.recognizer.calibration import Calibration
from inhouse.recognizer.charset import BLANK_ID, CHAR_TO_ID, NUM_CLASSES, normalize_text
from inhouse.recognizer.ctc import beam_decode, collapse, greedy_decode
from training.calibrate import isotonic_fit, reliability

B = BLANK_ID


def logits_for(path: list[int], peak: float = 12.0) -> np.ndarray:
    out = np.zeros((len(path), NUM_CLASSES), np.float32)
    out[np.arange(len(path)), path] = peak
    return out


def test_collapse_merges_repeats_and_drops_blanks():
    a, b = CHAR_TO_ID["a"], CHAR_TO_ID["b"]
    assert collapse(np.array([a, a, B, a, b, b, B])) == [a, a, b]


def test_greedy_decodes_double_letters_only_across_blanks():
    o, f = CHAR_TO_ID["o"], CHAR_TO_ID["f"]
    text, conf = greedy_decode(logits_for([o, f, B, f, B, B]), steps=6)
    assert text == "off"
    assert 0.9 < conf <= 1.0


def test_greedy_ignores_padding_steps():
    a = CHAR_TO_ID["a"]
    lg = logits_for([a, B, CHAR_TO_ID["z"], CHAR_TO_ID["z"]])
    assert greedy_decode(lg, steps=2)[0] == "a"


def test_beam_beats_greedy_when_mass_is_split():
    """Best path is blank-blank, but 'a' (a-blank, blank-a, a-a) has more total probability."""
    a = CHAR_TO_ID["a"]
    lg = np.full((2, NUM_CLASSES), -20.0, np.float32)
    lg[:, B] = np.log(0.4)
    lg[:, a] = np.log(0.35)
    lg[:, CHAR_TO_ID["b"]] = np.log(0.25)
    assert greedy_decode(lg, 2)[0] == ""
    text, p = beam_decode(lg, 2, beam_width=4)
    assert text == "a"
    assert abs(p - (0.35 * 0.4 * 2 + 0.35 * 0.35)) < 1e-3


def test_isotonic_calibration_is_monotone_and_calibrates():
    rng = np.random.default_rng(0)
    raw = rng.random(4000)
    correct = (rng.random(4000) < raw ** 2).astype(float)  # overconfident raw scores
    xs, ys = isotonic_fit(raw, correct)
    assert all(b >= a for a, b in zip(ys, ys[1:]))
    cal = Calibration(xs=xs, ys=ys)
    fixed = np.array([cal.confidence(r) for r in raw])
    assert reliability(fixed, correct)["ece"] < reliability(raw, correct)["ece"]


def test_second_look_readings_use_their_own_map_when_there_is_one():
    first = Calibration(xs=[0.0, 1.0], ys=[0.0, 0.8])
    assert first.confidence(0.5, second_look=True) == first.confidence(0.5) == 0.4  # none fitted: the first
    both = Calibration(xs=[0.0, 1.0], ys=[0.0, 0.8], second_xs=[0.0, 1.0], second_ys=[0.0, 0.5])
    assert (both.confidence(0.5), both.confidence(0.5, second_look=True)) == (0.4, 0.25)


def test_normalize_text_folds_ligatures_and_minus():
    assert normalize_text("ﬁnal −3") == "final -3"
