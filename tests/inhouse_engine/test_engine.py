"""The in-house engine through the OcrEngine interface, with the shipped weights."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from engines import RecognizeOptions, get_engine
from kernel.errors import OcrInputError
from tests.conftest import assert_words_in_the_same_places, turned_about_centre
from tests.inhouse_engine.test_detector import LINES, rendered, soft_page


@pytest.fixture(scope="module")
def engine():
    return get_engine("inhouse")


def test_page_mode_reads_words_with_their_own_boxes(engine):
    gray, truth = rendered()
    result = engine.recognize(gray, RecognizeOptions(engine_args={"orientation": "off"}))
    page = result.pages[0]
    assert result.engine == "inhouse" and result.engine_version.startswith("wdn-")
    words = list(page.words)
    assert len(list(page.lines)) == 3
    for word in words:
        assert 0 <= word.bbox.x0 < word.bbox.x1 <= page.width and 0 <= word.bbox.y0 < word.bbox.y1 <= page.height
        assert 0.0 <= word.confidence <= 1.0 and " " not in word.text
    expected = " ".join(LINES).split()
    read = [w.text for w in words]
    assert sum(word in read for word in expected) >= len(expected) // 2, read


def test_a_sloping_page_read_levelled_keeps_its_boxes_on_the_page_as_it_was(engine):
    """With deskew=auto the page is read levelled (a new canvas, larger than the page), and every box
    comes back to the sloping page: each word sits where the same read without levelling puts it."""
    gray, _ = rendered()
    sloping = turned_about_centre(gray, 3.0)
    options = {"orientation": "off", "postprocess": "off"}
    levelled = engine.recognize(sloping, RecognizeOptions(engine_args={**options, "deskew": "auto"})).pages[0]
    as_is = engine.recognize(sloping, RecognizeOptions(engine_args={**options, "deskew": "off"})).pages[0]
    assert (levelled.width, levelled.height) == (gray.shape[1], gray.shape[0])
    assert_words_in_the_same_places(as_is, levelled, min_length=3, min_matched=6, tolerance=6)


def test_word_and_line_modes_skip_detection(engine):
    gray, _ = rendered(["Receipt"])
    word = engine.recognize(gray[20:80, 20:200], RecognizeOptions(mode="word"))
    assert len(list(word.words)) <= 1 and word.mode == "word"
    line = engine.recognize(gray, RecognizeOptions(mode="line"))
    assert len(list(line.pages[0].lines)) <= 1


@pytest.mark.parametrize("quarter_turns, fix", [(0, 0), (-1, 270), (2, 180), (1, 90)])
def test_rotated_pages_are_turned_upright_and_say_so(engine, quarter_turns, fix):
    gray, _ = rendered()
    turned = np.rot90(gray, k=quarter_turns)  # k=-1: the page turned 90° clockwise
    page = engine.recognize(np.ascontiguousarray(turned)).pages[0]
    assert page.rotation == fix  # the clockwise turn that made it upright
    assert (page.width, page.height) == (gray.shape[1], gray.shape[0])
    assert (page.source_width, page.source_height) == (turned.shape[1], turned.shape[0])


def test_the_tuners_words_are_what_post_processing_gets_in_the_engine(engine):
    from inhouse.postprocess.buckets import postprocess

    gray, _ = rendered()
    words, text_height = engine.read_unprocessed(gray)
    assert words and text_height > 0 and all(w.char_boxes for w in words)  # splits are judged on ink
    replayed = postprocess(words, engine.lexicon, engine.thresholds, text_height)
    served = engine.recognize(gray).pages[0]
    assert [w.text for w in replayed] == [w.text for line in served.lines for w in line.words]


def test_blank_page_reads_nothing_and_bad_options_are_refused(engine):
    assert engine.recognize(np.full((200, 300), 255, np.uint8)).text == ""
    with pytest.raises(OcrInputError, match="unknown inhouse options"):
        engine.recognize(np.full((20, 30), 255, np.uint8), RecognizeOptions(engine_args={"psm": "6"}))


def test_version_changes_with_the_pipelines_code(tmp_path, monkeypatch):
    import shutil

    import inhouse.engine as module

    before = module._code_digest()
    package = Path(module.__file__).resolve().parent
    copy = tmp_path / "inhouse"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("models", "__pycache__"))
    monkeypatch.setattr(module, "__file__", str(copy / "engine.py"))
    module._code_digest.cache_clear()
    try:
        assert module._code_digest() == before  # the same sources, wherever they lie
        for edited in (copy / "engine.py", copy / "detector" / "detect.py"):
            edited.write_text(edited.read_text() + "\n# an edit\n")
            module._code_digest.cache_clear()
            assert module._code_digest() != before, edited
    finally:
        module._code_digest.cache_clear()


def test_version_names_the_int8_weights_it_serves(engine):
    from inhouse.recognizer.model_files import DEFAULT_MODEL_DIR, WEIGHTS_FILE, weights_digest

    assert engine.recognizer.runtime.name == "onnx-int8"
    assert engine.version.startswith(f"wdn-{weights_digest(DEFAULT_MODEL_DIR / WEIGHTS_FILE)}.int8+cfg-")


def test_is_registered_through_its_entry_point_like_any_engine():
    from importlib.metadata import entry_points

    (point,) = [p for p in entry_points(group="ocrgate.engines") if p.name == "inhouse"]
    assert point.value == "inhouse.engine:InhouseEngine"
    from inhouse.engine import InhouseEngine

    assert type(get_engine("inhouse")) is InhouseEngine


def test_an_upright_receipt_photo_under_a_shadow_is_not_turned(engine):
    """A narrow receipt with a shadow over its right half: unflattened, the shadow is one tall
    block of "ink", so the ink profile says lines run down and upright was never even read (the
    page came back turned 90°). Flattened first, and with upright always in the running, it
    stays as it is and reads."""
    lines = ["TOTAL 12.90", "CASH 20.00", "CHANGE 7.10", "THANK YOU"] * 5
    gray, _ = rendered(lines)
    gray = gray[:, :420]
    xs = np.linspace(0, 1, gray.shape[1])[None, :]
    shadowed = np.clip(gray * (1 - 0.6 / (1 + np.exp(-(xs - 0.55) * 25))), 0, 255).astype(np.uint8)
    page = engine.recognize(shadowed).pages[0]
    assert page.rotation == 0
    assert sum(word.text in {"TOTAL", "CASH", "CHANGE", "THANK", "YOU"} for word in page.words) >= 12


@pytest.mark.parametrize(
    "scores, ratio, turn",
    [
        ({0: 0.70, 180: 0.20, 90: 0.78, 270: 0.10}, 0.6, 0),  # a quarter turn within the margin: stays
        ({0: 0.60, 180: 0.20, 90: 0.85, 270: 0.10}, 0.6, 90),  # beyond it: turns
        ({0: 0.70, 180: 0.20, 90: 0.75, 270: 0.10}, 0.2, 90),  # lines plainly run down: no margin
        ({0: 0.70, 180: 0.74}, 1.5, 0),  # upside down within FLIP_MARGIN: stays
        ({0: 0.30, 180: 0.80}, 1.5, 180),
        ({}, 0.6, 0),  # nothing to read: as it is
        ({0: 0.01, 180: 0.0, 90: 0.12, 270: 0.10}, 0.2, 0),  # reads badly every way: as it is
    ],
)
def test_a_turn_must_beat_upright_by_its_margin(scores, ratio, turn):
    from inhouse.orientation import decide

    assert decide(scores, ratio, turn_margin=0.1) == turn


@pytest.mark.parametrize("quarter_turns, fix", [(-1, 270), (1, 90)])
def test_a_sideways_low_resolution_form_is_turned_upright(engine, benchmarks_dir, quarter_turns, fix):
    """A 100-dpi train form turned sideways: read across, its stacks of turned letters came out as
    one or two characters each, confidently enough that mean confidence rated the page as it was
    no worse than the right quarter turn, and it stayed sideways. Confident characters per word
    tell them apart."""
    from evaluation.dataset import load_set
    from imaging import load_first_page

    (record,) = [r for r in load_set(benchmarks_dir / "train").records if r.id == "funsd_0060255888"]
    upright = load_first_page(record.image)
    turned = dataclasses.replace(upright, pixels=np.ascontiguousarray(np.rot90(upright.pixels, k=quarter_turns)))
    assert engine.orientation(turned).rotation == fix


@pytest.mark.parametrize("quarter_turns, fix", [(-1, 270), (1, 90)])
def test_a_sideways_form_photo_is_turned_upright_from_its_word_shaped_words(engine, benchmarks_dir, quarter_turns, fix):
    """The simulated photo of a train form (seed 0, as `ocrgate sets photos` draws it) turned
    sideways: its widest detected "words" are runs of several words that read badly every way, and
    sampled with them the right quarter turn did not clear its margin. The sample leaves them out."""
    from capture.photoset import PageJob, photograph
    from evaluation.dataset import load_set
    from imaging import load_first_page

    (record,) = [r for r in load_set(benchmarks_dir / "train").records if r.id == "funsd_0060094595"]
    photo = load_first_page(photograph(PageJob(record.id, str(record.image), 0, {})).jpeg)
    turned = dataclasses.replace(photo, pixels=np.ascontiguousarray(np.rot90(photo.pixels, k=quarter_turns)))
    assert engine.orientation(turned).rotation == fix


def test_second_look_can_be_turned_off_per_read(engine):
    """`second_look=off` reads every crop once, as an engine without the second look does; a value
    other than on/off is an input error naming the choices."""
    import cv2

    from inhouse.engine import InhouseEngine
    from inhouse.recognizer.predictor import PredictorConfig

    gray, _ = rendered()
    blurred = cv2.GaussianBlur(gray, (0, 0), 2.0)  # doubtful words, so the second look has work
    first_look_only = InhouseEngine(predictor=PredictorConfig(second_look=None))
    calls: list[bool] = []
    read = engine.recognizer.recognize_batch

    def spy(crops, *, second_look=False):
        calls.append(second_look)
        return read(crops, second_look=second_look)

    options = RecognizeOptions(engine_args={"second_look": "off"})
    engine.recognizer.recognize_batch = spy
    try:
        off = engine.recognize(blurred, options).pages[0]
        assert calls and not any(calls)  # orientation's samples and the words alike
        calls.clear()
        engine.recognize(blurred)
        assert calls and all(calls)
    finally:
        del engine.recognizer.recognize_batch
    assert [w.text for w in off.words] == [w.text for w in first_look_only.recognize(blurred).pages[0].words]
    with pytest.raises(OcrInputError, match="second_look must be one of on, off, got 'maybe'"):
        engine.recognize(gray, RecognizeOptions(engine_args={"second_look": "maybe"}))


def test_the_faint_pass_only_adds_words_read_surely(engine):
    """Soft print out of focus: the default read (faint pass on) serves every word that a read with
    `faint_pass=off` serves, where it serves them, and more; the words it adds read surely. `on` is
    the default's read; a value other than on/off is an input error naming the choices."""
    page = soft_page()

    def served(**args: str) -> set:
        return {(w.text, w.bbox) for w in engine.recognize(page, RecognizeOptions(engine_args=args)).pages[0].words}

    default, off = served(), served(faint_pass="off")
    added = default - off
    assert off < default, (off - default, added)
    assert all(len(text) >= engine.detector.faint_min_chars for text, _ in added)
    assert served(faint_pass="on") == default
    with pytest.raises(OcrInputError, match="faint_pass must be one of on, off, got 'yes'"):
        engine.recognize(page, RecognizeOptions(mode="word", engine_args={"faint_pass": "yes"}))


def test_a_soft_page_keeps_the_surer_of_its_two_detections(monkeypatch):
    """On a page whose print is soft enough, the served words are those of the plain detection or of
    the detection on a sharpened copy, whichever post-processed reading expects more correct
    characters; the page is detected twice, and once with `sharpened_detection=off`."""
    from inhouse import engine as engine_module
    from inhouse.detector import DetectorConfig
    from inhouse.engine import InhouseEngine
    from inhouse.second_detection import expected_correct

    page = soft_page()
    soft = InhouseEngine(detector=DetectorConfig(sharpened_detection_max_contrast=255.0))
    plain = InhouseEngine(detector=DetectorConfig(sharpened_detection_max_contrast=0.0))
    sharp = InhouseEngine(detector=DetectorConfig(sharpened_detection_max_contrast=0.0, mser_sharpen=1.0))

    def served(engine, **args) -> list:
        read = engine.recognize(page, RecognizeOptions(engine_args={"orientation": "off", **args}))
        return list(read.pages[0].words)

    calls = []
    detect = engine_module.detect_words
    monkeypatch.setattr(engine_module, "detect_words", lambda *a, **k: calls.append(1) or detect(*a, **k))
    chosen = served(soft)
    assert len(calls) == 2
    calls.clear()
    assert [(w.text, w.bbox) for w in served(soft, sharpened_detection="off")] == [
        (w.text, w.bbox) for w in served(plain)
    ]
    assert len(calls) == 2  # the plain engine's read: once
    candidates = [served(plain), served(sharp)]
    assert [(w.text, w.bbox) for w in candidates[0]] != [(w.text, w.bbox) for w in candidates[1]]
    surer = max(candidates, key=lambda words: expected_correct(words))
    assert [(w.text, w.bbox) for w in chosen] == [(w.text, w.bbox) for w in surer]
    with pytest.raises(OcrInputError, match="sharpened_detection must be one of auto, off, got 'on'"):
        soft.recognize(page, RecognizeOptions(mode="word", engine_args={"sharpened_detection": "on"}))


def test_a_crisp_page_is_detected_once(engine, monkeypatch):
    """A clean rendered page's print is far crisper than the second detection's gate: one detection."""
    from inhouse import engine as engine_module

    calls = []
    detect = engine_module.detect_words
    monkeypatch.setattr(engine_module, "detect_words", lambda *a, **k: calls.append(1) or detect(*a, **k))
    gray, _ = rendered()
    engine.recognize(gray, RecognizeOptions(engine_args={"orientation": "off"}))
    assert len(calls) == 1
