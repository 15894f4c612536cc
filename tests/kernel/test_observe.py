"""`observe`, the one engine-run primitive: results, typed failures, and deadlines that stop work."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from engines import BBox, Block, Line, OcrEngine, Page, RecognizeOptions, Word
from kernel import deadline
from kernel.errors import EngineFailedError, EngineTimeoutError, EngineUnavailableError
from kernel.observe import observe

PAGE = np.full((20, 40), 255, np.uint8)


class Scripted(OcrEngine):
    """An engine whose `_read_page` runs `behaviour`."""

    name = "scripted"

    def __init__(self, behaviour):
        super().__init__()
        self.behaviour = behaviour

    @property
    def version(self) -> str:
        return "7.1"

    def _read_page(self, page, options):
        self.behaviour()
        word = Word("ok", BBox(0, 0, page.width, page.height), 1.0)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


def test_an_observation_carries_result_identity_options_and_latency():
    options = RecognizeOptions(mode="word", languages="deu")
    observation = observe(Scripted(lambda: None), PAGE, options)
    assert observation.ok and observation.value().text == "ok"
    assert (observation.engine, observation.version, observation.options) == ("scripted", "7.1", options)
    assert observation.latency_ms > 0


def test_an_engine_bug_becomes_engine_failed_and_a_typed_error_passes_through():
    def bug():
        raise ZeroDivisionError("division by zero")

    def unavailable():
        raise EngineUnavailableError("no weights")

    crashed = observe(Scripted(bug), PAGE, RecognizeOptions())
    assert isinstance(crashed.error, EngineFailedError) and "ZeroDivisionError" in str(crashed.error)
    with pytest.raises(EngineFailedError):
        crashed.value()
    assert isinstance(observe(Scripted(unavailable), PAGE, RecognizeOptions()).error, EngineUnavailableError)


def test_an_engine_that_ignores_its_deadline_is_answered_for_at_the_deadline():
    release = threading.Event()
    observation = observe(Scripted(lambda: release.wait(60)), PAGE, RecognizeOptions(timeout_seconds=0.3))
    release.set()
    assert isinstance(observation.error, EngineTimeoutError)
    assert "0.3 s" in str(observation.error)


def test_a_cooperative_engine_stops_working_once_its_deadline_passes():
    stopped, steps = threading.Event(), []

    def work():
        try:
            while True:  # a long job that checks its deadline between units of work
                deadline.check()
                steps.append(1)
                threading.Event().wait(0.01)
        finally:
            stopped.set()

    observation = observe(Scripted(work), PAGE, RecognizeOptions(timeout_seconds=0.2))
    assert isinstance(observation.error, EngineTimeoutError)
    assert stopped.wait(5), "the engine kept working after its deadline"
    done = len(steps)
    threading.Event().wait(0.1)
    assert len(steps) == done


def test_the_caller_can_only_shorten_the_options_time_limit():
    release = threading.Event()
    observation = observe(Scripted(lambda: release.wait(60)), PAGE, RecognizeOptions(timeout_seconds=0.2),
                          timeout=30)
    release.set()
    assert isinstance(observation.error, EngineTimeoutError) and "0.2 s" in str(observation.error)
