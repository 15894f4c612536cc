"""The in-house engine honours `kernel.deadline`: a call past its limit stops at the next checkpoint
(between stages, before each forward pass of the recognizer) instead of running on abandoned."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from engines import RecognizeOptions
from inhouse.engine import InhouseEngine
from kernel import deadline
from kernel.deadline import Deadline
from kernel.errors import EngineTimeoutError
from kernel.observe import observe
from tests.inhouse_engine.test_detector import rendered

#: seconds each fake forward pass takes: the page below needs many more passes than fit in 1 s
SLOW_PASS = 0.1


class SlowRuntime:
    """A recognizer runtime that sleeps per batch, counts its calls and remembers its thread."""

    name = "onnx-int8"

    def __init__(self, real) -> None:
        self.real = real
        self.calls = 0
        self.thread: threading.Thread | None = None
        self.first_call = threading.Event()

    def __call__(self, batch):
        self.calls += 1
        self.thread = threading.current_thread()
        self.first_call.set()
        time.sleep(SLOW_PASS)
        return self.real(batch)


@pytest.fixture(scope="module")
def slow_engine():
    engine = InhouseEngine()  # its own instance: the registry's is shared with other tests
    engine.recognizer.config = replace(engine.recognizer.config, batch_size=1)  # one crop per forward pass
    return engine


def test_a_call_past_its_limit_is_a_timeout_and_the_engine_stops_working(slow_engine, monkeypatch):
    page, _ = rendered()
    runtime = slow_engine.recognizer.runtime = SlowRuntime(slow_engine.recognizer.runtime)
    readers: list[threading.Thread] = []  # the thread observe ran the engine's page read on
    read_page = slow_engine._read_page

    def recording(*args, **kwargs):
        readers.append(threading.current_thread())
        return read_page(*args, **kwargs)

    monkeypatch.setattr(slow_engine, "_read_page", recording)
    try:
        observation = observe(slow_engine, page, RecognizeOptions(timeout_seconds=1,
                                                                  engine_args={"orientation": "off"}))
        assert isinstance(observation.error, EngineTimeoutError) and observation.result is None
        assert observation.engine == "inhouse" and observation.version.startswith("wdn-")
        for worker in readers:  # none if the limit passed before the page was even read
            assert worker is not threading.current_thread()
            worker.join(timeout=60)  # the engine's thread ends at its next checkpoint
            assert not worker.is_alive()
        assert runtime.thread in (None, *readers)  # every forward pass ran on the observed call's thread
        calls = runtime.calls
        needed = sum(1 for _ in _word_crops(slow_engine, page))
        assert calls < needed, f"{calls} forward passes: the deadline did not stop the batch loop"
    finally:
        slow_engine.recognizer.runtime = runtime.real


def _word_crops(engine, page):
    from inhouse.detector import detect_words

    return detect_words(page, engine.detector).words


def test_a_deadline_passing_during_detection_stops_before_recognition(slow_engine, monkeypatch):
    import inhouse.engine as module

    page, _ = rendered()
    limit = Deadline(60, "engine inhouse")
    real_detect = module.detect_words

    def detect_then_expire(*args, **kwargs):
        found = real_detect(*args, **kwargs)
        limit.cancel()  # as observe does when the caller's deadline passes
        return found

    monkeypatch.setattr(module, "detect_words", detect_then_expire)
    runtime = slow_engine.recognizer.runtime = SlowRuntime(slow_engine.recognizer.runtime)
    try:
        with limit.entered(), pytest.raises(EngineTimeoutError):
            slow_engine.recognize(page, RecognizeOptions(engine_args={"orientation": "off"}))
        assert runtime.calls == 0
        with limit.entered(), pytest.raises(EngineTimeoutError):
            slow_engine.recognizer.recognize_batch([page[:40, :120]])
        assert runtime.calls == 0
    finally:
        slow_engine.recognizer.runtime = runtime.real
    deadline.check()  # outside any deadline: no limit
