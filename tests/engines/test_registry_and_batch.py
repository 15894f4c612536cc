"""The registry finds engines by entry point, refuses unknown ones, and batches fail per item."""

from __future__ import annotations

import numpy as np
import pytest

from engines import BBox, Block, Line, OcrEngine, Page, RecognizeOptions, Word, get_engine, register_engine
from engines.registry import engine_names, unregister_engine
from kernel.errors import EngineFailedError, OcrInputError, UnknownEngineError


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


def test_batch_items_fail_independently(counting):
    images = [np.full((5, w), 255, np.uint8) for w in (10, 13, 20)] + [b"garbage"]
    items = counting.recognize_batch(images)
    assert [item.ok for item in items] == [True, False, True, False]
    assert [item.result.text for item in items if item.ok] == ["10", "20"]
    assert isinstance(items[1].error, EngineFailedError) and isinstance(items[3].error, OcrInputError)


def test_result_carries_engine_identity_and_timing(counting):
    result = counting.recognize(np.full((5, 7), 255, np.uint8), RecognizeOptions(mode="word"))
    assert (result.engine, result.engine_version, result.mode) == ("counting", "0.1", "word")
    assert result.elapsed_seconds >= 0


@pytest.mark.parametrize("kwargs", [{"mode": "paragraph"}, {"languages": "en g"}, {"timeout_seconds": 0}])
def test_bad_options(kwargs):
    with pytest.raises(OcrInputError):
        RecognizeOptions(**kwargs)
