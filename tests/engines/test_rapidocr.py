"""RapidOCR, the third engine, through its entry point: real models on rendered text."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from PIL import ImageDraw, ImageFont

from engines import RecognizeOptions, get_engine
from engines.result import BBox
from engines.registry import describe_engines, engine_names, register_engine, unregister_engine
from kernel import deadline
from kernel.errors import EngineTimeoutError, EngineUnavailableError, OcrInputError
from kernel.observe import observe
from tests.conftest import render_text

pytest.importorskip("rapidocr_onnxruntime", reason="rapidocr-onnxruntime is not installed (the rapidocr extra)")

from rapidocr_engine.engine import RapidOcrEngine  # noqa: E402


@pytest.fixture(scope="module")
def rapid():
    return get_engine("rapidocr")


def test_registered_through_the_entry_point_with_an_honest_version(rapid):
    assert "rapidocr" in engine_names()
    row = next(r for r in describe_engines() if r["name"] == "rapidocr")
    assert row["status"] == "ok" and row["class"] == "rapidocr_engine.engine.RapidOcrEngine"
    assert rapid.version.startswith("rapidocr-onnxruntime-1.4.")
    assert "ch_PP-OCRv4_det" in rapid.version and "ch_PP-OCRv4_rec" in rapid.version


def test_reads_a_rendered_page_with_boxes_inside_it(rapid, text_page):
    page = rapid.recognize(text_page).pages[0]
    assert [line.text for line in page.lines] == ["Hello world from ocrgate", "The quick brown fox 12.50"]
    for word in page.words:
        assert 0 <= word.bbox.x0 < word.bbox.x1 <= page.width
        assert 0 <= word.bbox.y0 < word.bbox.y1 <= page.height
        assert 0.5 <= word.confidence <= 1.0


def test_words_are_split_from_the_line_box_where_their_characters_are(rapid):
    text = "Invoice number 20931 paid"
    image = render_text([text], size=40)
    font = ImageFont.load_default(size=40)
    draw = ImageDraw.Draw(image)
    words = list(rapid.recognize(image).words)
    assert [w.text for w in words] == text.split()
    offset = 0
    for word in words:
        start = 30 + draw.textlength(text[:offset], font=font)
        end = 30 + draw.textlength(text[: offset + len(word.text)], font=font)
        centre = (word.bbox.x0 + word.bbox.x1) / 2
        assert start < centre < end, word
        offset += len(word.text) + 1
    assert all(a.bbox.x1 <= b.bbox.x0 + 1 for a, b in zip(words, words[1:], strict=False))


def test_line_and_word_modes(rapid):
    line = rapid.recognize(render_text(["TOTAL 12.90"], margin=10), RecognizeOptions(mode="line"))
    assert line.text == "TOTAL 12.90" and len(list(line.words)) == 2
    word = rapid.recognize(render_text(["Receipt"], margin=10), RecognizeOptions(mode="word"))
    assert [w.text for w in word.words] == ["Receipt"]


def test_languages_it_reads_and_those_it_does_not(rapid, text_page):
    assert rapid.unreadable_languages(RecognizeOptions(languages="eng+chi_sim")) is None
    with pytest.raises(EngineUnavailableError, match="no language data for deu"):
        rapid.recognize(text_page, RecognizeOptions(languages="eng+deu"))
    with pytest.raises(OcrInputError, match="unknown rapidocr options"):
        rapid.recognize(text_page, RecognizeOptions(engine_args={"psm": "6"}))


def test_a_deadline_stops_it_between_stages(rapid, text_page, monkeypatch):
    recognised = []
    classify = rapid.ocr.text_cls

    def classify_then_run_out(crops):
        deadline.current().cancel()  # the time runs out while the lines are classified
        return classify(crops)

    monkeypatch.setattr(rapid.ocr, "text_cls", classify_then_run_out)
    monkeypatch.setattr(rapid.ocr, "text_rec", lambda crops: recognised.append(crops))
    observation = observe(rapid, text_page, RecognizeOptions(timeout_seconds=60))
    assert isinstance(observation.error, EngineTimeoutError) and recognised == []


def test_without_the_package_it_is_unavailable_with_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)
    register_engine("rapidocr-missing", RapidOcrEngine)
    try:
        row = next(r for r in describe_engines() if r["name"] == "rapidocr-missing")
    finally:
        unregister_engine("rapidocr-missing")
    assert row["status"].startswith("unavailable: rapidocr-onnxruntime is not installed")
    assert "\n" not in row["status"] and "ocrgate[rapidocr]" in row["status"]


def test_the_eval_runner_scores_it(rapid, tiny_set, tmp_path, monkeypatch):
    from evaluation.evaluate import evaluate

    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(tmp_path / "lab.jsonl"))
    results = evaluate(["rapidocr"], [str(tiny_set)], tmp_path / "out", cache_dir=None, progress=False)
    row = results["summary"]["rapidocr"]["all"]
    assert row["n"] == 4 and row["failures"] == 0 and row["aligned_cer"] < 0.2
    assert results["run"]["engines"][0]["version"] == rapid.version


def test_a_sloping_lines_words_are_boxed_along_the_line():
    # a 2-degree line 400 px long rises 14 px: each word's box bounds its own stretch of the line,
    # not the slice of the whole line's bounds (which reaches into the lines above and below)
    from rapidocr_engine.engine import _line

    quad = np.array([[100, 114], [500, 100], [500, 120], [100, 134]], np.float32)
    line = _line("alpha beta gamma delta", 0.9, quad, 800, 400)
    assert [w.text for w in line.words] == ["alpha", "beta", "gamma", "delta"]
    assert line.bbox == BBox(100, 100, 500, 134)
    first, last = line.words[0].bbox, line.words[-1].bbox
    assert first.x0 == 100 and first.y1 == 134 and first.y0 >= 110
    assert last.x1 == 500 and last.y0 == 100 and last.y1 <= 124
    assert all(w.bbox.height <= 24 for w in line.words)
    level = _line("alpha beta", 0.9, np.array([[10, 10], [110, 10], [110, 30], [10, 30]], np.float32), 800, 400)
    assert [w.bbox for w in level.words] == [BBox(10, 10, 60, 30), BBox(70, 10, 110, 30)]  # as the share of x
    assert _line("x", 0.9, np.array([[900, 10], [950, 10], [950, 30], [900, 30]], np.float32), 800, 400) is None
