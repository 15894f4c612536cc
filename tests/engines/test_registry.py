"""The registry finds engines by entry point, refuses unknown ones, and observed inputs fail one by one."""

from __future__ import annotations

import numpy as np
import pytest

from engines import BBox, Block, Line, OcrEngine, Page, RecognizeOptions, Word, get_engine, register_engine
from engines.registry import engine_names, unregister_engine
from kernel.errors import EngineFailedError, OcrInputError, UnknownEngineError
from kernel.observe import observe


class CountingEngine(OcrEngine):
    """Reads every page as one word naming its width; fails on width 13."""

    name = "counting"

    @property
    def version(self) -> str:
        return "0.1"

    def _read_page(self, page, options):
        if page.width == 13:
            raise EngineFailedError("unlucky width")
        word = Word(str(page.width), BBox(0, 0, page.width, page.height), 1.0)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


@pytest.fixture
def counting():
    register_engine("counting", CountingEngine)
    yield get_engine("counting")
    unregister_engine("counting")


def test_builtin_engine_comes_from_the_entry_point_group():
    assert "tesseract" in engine_names()
    assert get_engine("tesseract") is get_engine("tesseract")  # loaded once per process


def test_unknown_engine():
    with pytest.raises(UnknownEngineError, match="unknown engine 'nope'.*tesseract"):
        get_engine("nope")


def test_observed_inputs_fail_independently(counting):
    images = [np.full((5, w), 255, np.uint8) for w in (10, 13, 20)] + [b"garbage"]
    observations = [observe(counting, image, RecognizeOptions()) for image in images]
    assert [o.ok for o in observations] == [True, False, True, False]
    assert [o.value().text for o in observations if o.ok] == ["10", "20"]
    assert isinstance(observations[1].error, EngineFailedError) and isinstance(observations[3].error, OcrInputError)
    assert {(o.engine, o.version) for o in observations} == {("counting", "0.1")}


def test_result_carries_engine_identity_and_timing(counting):
    result = counting.recognize(np.full((5, 7), 255, np.uint8), RecognizeOptions(mode="word"))
    assert (result.engine, result.engine_version, result.mode) == ("counting", "0.1", "word")
    assert result.elapsed_seconds >= 0


@pytest.mark.parametrize("kwargs", [{"mode": "paragraph"}, {"languages": "en g"}, {"timeout_seconds": 0}])
def test_bad_options(kwargs):
    with pytest.raises(OcrInputError):
        RecognizeOptions(**kwargs)
