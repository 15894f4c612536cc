"""The Tesseract engine against the real `tesseract` program."""

from __future__ import annotations

import json
import subprocess

import pytest

from engines import RecognizeOptions, get_engine
from engines.tesseract import TesseractEngine
from kernel.errors import EngineTimeoutError, EngineUnavailableError, OcrInputError
from tests.conftest import render_text


def tesseract_cli_words(path) -> list[str]:
    tsv = subprocess.run(["tesseract", str(path), "-", "tsv"], capture_output=True, text=True, check=True).stdout
    words = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if cells[0] == "5" and len(cells) == 12 and cells[11].strip():
            words.append(cells[11].strip())
    return words


def test_same_words_as_the_tesseract_program(benchmarks_dir):
    records = [json.loads(line) for line in (benchmarks_dir / "dev" / "manifest.jsonl").open()]
    picked = {}
    for record in records:
        picked.setdefault(record["category"], record)
    engine = get_engine("tesseract")
    for record in picked.values():
        path = benchmarks_dir / "dev" / record["image"]
        ours = [w.text for w in engine.recognize(path).words]
        assert ours == tesseract_cli_words(path), record["id"]


def test_reads_a_rendered_page_with_boxes_and_confidences(text_page):
    result = get_engine("tesseract").recognize(text_page)
    page = result.pages[0]
    assert "Hello world from ocrgate" in result.text
    assert len(list(page.lines)) == 2
    for word in page.words:
        assert 0 <= word.bbox.x0 < word.bbox.x1 <= page.width
        assert 0 <= word.bbox.y0 < word.bbox.y1 <= page.height
        assert 0.0 <= word.confidence <= 1.0
    hello = next(w for w in page.words if w.text == "Hello")
    assert hello.bbox.y1 < next(w for w in page.words if w.text == "quick").bbox.y0


def test_word_and_line_modes():
    engine = get_engine("tesseract")
    word = engine.recognize(render_text(["Receipt"], margin=10), RecognizeOptions(mode="word"))
    assert [w.text for w in word.words] == ["Receipt"]
    line = engine.recognize(render_text(["TOTAL 12.90"], margin=10), RecognizeOptions(mode="line"))
    assert line.text == "TOTAL 12.90"


def test_timeout_is_enforced(text_page):
    big = render_text(["lots of text to read here"] * 40)
    with pytest.raises(EngineTimeoutError, match="limit"):
        TesseractEngine().recognize(big, RecognizeOptions(timeout_seconds=0.01))


def test_missing_language_is_a_clear_error(text_page):
    with pytest.raises(EngineUnavailableError, match="no language data for xyz"):
        get_engine("tesseract").recognize(text_page, RecognizeOptions(languages="xyz"))


def test_bad_engine_args(text_page):
    with pytest.raises(OcrInputError, match="psm"):
        get_engine("tesseract").recognize(text_page, RecognizeOptions(engine_args={"psm": "99"}))
    with pytest.raises(OcrInputError, match="unknown tesseract options"):
        get_engine("tesseract").recognize(text_page, RecognizeOptions(engine_args={"colour": "red"}))


def test_missing_binary_is_a_clear_error(monkeypatch, text_page):
    import pytesseract

    from engines import tesseract as module
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    module.tesseract_version.cache_clear()
    module.installed_languages.cache_clear()
    try:
        with pytest.raises(EngineUnavailableError, match="not installed"):
            TesseractEngine().recognize(text_page)
    finally:
        module.tesseract_version.cache_clear()
        module.installed_languages.cache_clear()
