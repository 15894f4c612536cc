"""The Tesseract engine against the real `tesseract` program."""

from __future__ import annotations

import dataclasses
import json
import subprocess

import numpy as np
import pytest

from engines import RecognizeOptions, get_engine
from engines.result import BBox, Block, Line, Word
from engines.tesseract import CHECK_GAIN, OSD_MIN_CONFIDENCE, TesseractEngine
from evaluation.dataset import load_set
from imaging import PageImage
from kernel.errors import EngineTimeoutError, EngineUnavailableError, OcrInputError
from tests.conftest import assert_words_in_the_same_places, render_text, turned_about_centre


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
    # no pre-processing: the program's own reading
    as_is = RecognizeOptions(engine_args={"illumination": "off", "deskew": "off"})
    for record in picked.values():
        path = benchmarks_dir / "dev" / record["image"]
        ours = [w.text for w in engine.recognize(path, as_is).words]
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


ORIENTATION_LINES = [
    "Invoice 20931 for services rendered in March",
    "Please pay the total of 1,250.00 within thirty days",
    "Thank you for your business and prompt payment",
    "Questions about this invoice go to the office",
] * 4


@pytest.fixture(scope="module")
def upright_page():
    return np.array(render_text(ORIENTATION_LINES, size=32))


@pytest.mark.parametrize("quarter_turns, fix", [(0, 0), (-1, 270), (2, 180), (1, 90)])
def test_orientation_auto_turns_a_page_upright_and_says_so(upright_page, quarter_turns, fix):
    turned = np.ascontiguousarray(np.rot90(upright_page, k=quarter_turns))  # k=-1: turned 90° clockwise
    result = get_engine("tesseract").recognize(turned, RecognizeOptions(engine_args={"orientation": "auto"}))
    page = result.pages[0]
    assert page.rotation == fix  # the clockwise turn that made it upright
    assert (page.width, page.height) == (upright_page.shape[1], upright_page.shape[0])
    assert (page.source_width, page.source_height) == (turned.shape[1], turned.shape[0])
    assert "Invoice 20931 for services rendered in March" in result.text
    for word in page.words:
        assert 0 <= word.bbox.x0 < word.bbox.x1 <= page.width and 0 <= word.bbox.y0 < word.bbox.y1 <= page.height


def test_orientation_is_off_by_default_and_for_lines_and_words(upright_page):
    engine = get_engine("tesseract")
    upside_down = np.ascontiguousarray(np.rot90(upright_page, k=2))
    assert engine.recognize(upside_down).pages[0].rotation == 0
    line = render_text(["TOTAL 12.90"], margin=10).rotate(180)
    read = engine.recognize(line, RecognizeOptions(mode="line", engine_args={"orientation": "auto"}))
    assert read.pages[0].rotation == 0


def test_orientation_on_a_page_too_empty_to_tell_reads_it_as_it_is(blank_array):
    result = get_engine("tesseract").recognize(blank_array, RecognizeOptions(engine_args={"orientation": "auto"}))
    assert result.pages[0].rotation == 0 and result.text == ""


def test_orientation_takes_auto_or_off(text_page):
    with pytest.raises(OcrInputError, match="orientation must be one of auto, off"):
        get_engine("tesseract").recognize(text_page, RecognizeOptions(engine_args={"orientation": "maybe"}))


@pytest.mark.parametrize("quarter_turns, fix", [(-1, 270), (1, 90)])
def test_osd_enlarges_the_small_letters_of_a_low_resolution_form(benchmarks_dir, quarter_turns, fix):
    """A 100-dpi train form (letters about 9 px) turned sideways: as it was, OSD answered 90 for both
    turns with confidence about 1; with its letters enlarged to 20 px it is sure of the right one."""
    from imaging import load_first_page

    (record,) = [r for r in load_set(benchmarks_dir / "train").records if r.id == "funsd_0060308461"]
    upright = load_first_page(record.image)
    turned = dataclasses.replace(upright, pixels=np.ascontiguousarray(np.rot90(upright.pixels, k=quarter_turns)))
    osd = get_engine("tesseract").detect_orientation(turned, RecognizeOptions())
    assert osd.rotate == fix and osd.confidence >= OSD_MIN_CONFIDENCE, osd


def test_a_turn_over_that_osd_is_sure_of_stands_only_if_the_page_reads_better_turned(upright_page, monkeypatch):
    """OSD can be confidently wrong (an upright dev receipt: upside down, confidence 6.4): the read
    turns a page over only when the turned page reads better than the page as it is."""
    from engines import tesseract

    engine = get_engine("tesseract")
    monkeypatch.setattr(TesseractEngine, "detect_orientation", lambda self, page, options: tesseract.Osd(180, 9.0))
    result = engine.recognize(upright_page, RecognizeOptions(engine_args={"orientation": "auto"}))
    assert result.pages[0].rotation == 0
    assert "Invoice 20931 for services rendered in March" in result.text
    turned_over = np.ascontiguousarray(np.rot90(upright_page, k=2))
    assert engine.recognize(turned_over, RecognizeOptions(engine_args={"orientation": "auto"})).pages[0].rotation == 180


@pytest.mark.parametrize("quarter_turns, proposed", [(1, 270), (1, 90), (-1, 90)])
def test_a_quarter_turn_osd_is_unsure_of_stands_when_tesseract_reads_the_page_better_so(
    upright_page, monkeypatch, quarter_turns, proposed
):
    """OSD often knows that text runs down a page but not which way, with little confidence: the
    page read as one block either quarter way settles it (the wrong way of OSD's answer too)."""
    from engines import tesseract

    engine = get_engine("tesseract")
    monkeypatch.setattr(TesseractEngine, "detect_orientation", lambda self, page, options: tesseract.Osd(proposed, 1.0))
    sideways = np.ascontiguousarray(np.rot90(upright_page, k=quarter_turns))  # k=1: a quarter counter-clockwise
    result = engine.recognize(sideways, RecognizeOptions(engine_args={"orientation": "auto"}))
    assert result.pages[0].rotation == (90 if quarter_turns == 1 else 270)
    assert "Invoice 20931 for services rendered in March" in result.text


@pytest.mark.parametrize("quarter_turns, proposed, fix", [(1, 270, 90), (-1, 90, 270), (1, 90, 90)])
def test_a_quarter_turn_osd_is_sure_of_goes_whichever_way_reads_better(
    upright_page, monkeypatch, quarter_turns, proposed, fix
):
    """OSD can be sure that text runs down a page and wrong about which way (a dev receipt turned
    270°: a 270° turn at confidence 4.65): the page read as one block both ways settles it."""
    from engines import tesseract

    monkeypatch.setattr(TesseractEngine, "detect_orientation", lambda self, page, options: tesseract.Osd(proposed, 9.0))
    sideways = np.ascontiguousarray(np.rot90(upright_page, k=quarter_turns))
    turn = get_engine("tesseract").upright_turn(
        PageImage(sideways, "sideways"), RecognizeOptions(engine_args={"orientation": "auto"})
    )
    assert turn.rotation == fix and set(turn.checked) == {90, 270}, turn


@pytest.mark.parametrize("proposed", [90, 0])
def test_an_unsure_answer_on_an_upright_page_turns_nothing(upright_page, monkeypatch, proposed):
    from engines import tesseract

    monkeypatch.setattr(TesseractEngine, "detect_orientation", lambda self, page, options: tesseract.Osd(proposed, 2.0))
    turn = get_engine("tesseract").upright_turn(
        PageImage(upright_page, "upright"), RecognizeOptions(engine_args={"orientation": "auto"})
    )
    assert turn.rotation == 0 and set(turn.checked) == {0, 90, 180, 270}, turn.checked
    assert turn.checked[0] > CHECK_GAIN * max(turn.checked[90], turn.checked[180], turn.checked[270])


@pytest.mark.parametrize("quarter_turns, fix", [(2, 180), (1, 90)])
def test_a_turned_page_that_osd_unsurely_calls_upright_is_turned_back(upright_page, monkeypatch, quarter_turns, fix):
    """OSD unsure that a page is upright (dev receipts turned over: "upright" at confidence 1.2 to
    3.5): the page read every way settles it."""
    from engines import tesseract

    monkeypatch.setattr(TesseractEngine, "detect_orientation", lambda self, page, options: tesseract.Osd(0, 1.5))
    turned = np.ascontiguousarray(np.rot90(upright_page, k=quarter_turns))
    result = get_engine("tesseract").recognize(turned, RecognizeOptions(engine_args={"orientation": "auto"}))
    assert result.pages[0].rotation == fix
    assert "Invoice 20931 for services rendered in March" in result.text


def test_an_upright_answer_that_osd_is_sure_of_is_not_checked(upright_page, monkeypatch):
    from engines import tesseract

    monkeypatch.setattr(TesseractEngine, "detect_orientation", lambda self, page, options: tesseract.Osd(0, 9.0))
    turned_over = np.ascontiguousarray(np.rot90(upright_page, k=2))
    turn = get_engine("tesseract").upright_turn(
        PageImage(turned_over, "turned over"), RecognizeOptions(engine_args={"orientation": "auto"})
    )
    assert turn.rotation == 0 and turn.checked == {}


def test_a_sloping_page_read_levelled_keeps_its_boxes_on_the_page_as_it_was():
    page = np.array(
        render_text(
            ["Invoice 20931 for services", "Please pay within thirty days", "Questions go to the office"], size=32
        )
    )
    sloping = turned_about_centre(page, -2.5)
    engine = get_engine("tesseract")
    levelled = engine.recognize(sloping, RecognizeOptions(engine_args={"deskew": "auto"})).pages[0]
    as_is = engine.recognize(sloping, RecognizeOptions(engine_args={"deskew": "off"})).pages[0]
    assert (levelled.width, levelled.height) == (page.shape[1], page.shape[0])
    assert_words_in_the_same_places(as_is, levelled, min_length=4, min_matched=4, tolerance=8)


def test_confident_characters_weigh_each_word_by_its_confidence():
    from engines.tesseract import confident_characters

    def read(*words: tuple[str, float]) -> list[Block]:
        return [Block([Line([Word(t, BBox(0, 0, 10, 10), c / 100) for t, c in words])])]

    sure, doubtful = read(("Invoice", 90), ("20931", 80)), read(("lnv", 30), ("o1ce", 20), ("20", 40), ("9", 10))
    assert confident_characters(sure) == pytest.approx(7 * 0.9 + 5 * 0.8)
    assert confident_characters(sure) > 3 * confident_characters(doubtful)
