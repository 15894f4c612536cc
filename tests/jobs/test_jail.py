"""The page jail on its own: what a jailed call may not do, and how its death is reported."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from engines import RecognizeOptions
from jobs.jail import JailError, JailLimits, run_jailed
from kernel.errors import EngineFailedError, EngineTimeoutError, OcrInputError
from tests.jobs.documents import png
from tests.jobs.engines import TesseractThenShell

LIMITS = JailLimits(memory_bytes=1536 << 20, cpu_seconds=2, file_bytes=1 << 20)


def test_a_result_and_an_error_come_back_as_they_were():
    assert run_jailed(lambda: {"answer": 42}, LIMITS, 30) == {"answer": 42}

    def bad_input():
        raise OcrInputError("bad page")

    with pytest.raises(OcrInputError, match="bad page"):
        run_jailed(bad_input, LIMITS, 30)


@pytest.mark.parametrize("attempt", [
    lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
    lambda: socket.socket(socket.AF_INET6, socket.SOCK_DGRAM),
    lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
    lambda: socket.socketpair(),
], ids=["tcp", "udp6", "unix", "socketpair"])
def test_a_jailed_call_cannot_open_a_socket(attempt):
    with pytest.raises(EngineFailedError, match="Operation not permitted"):
        run_jailed(attempt, LIMITS, 30)


@pytest.mark.parametrize("program", [["/bin/sh", "-c", "true"], ["tesseract", "--version"]])
def test_a_jailed_call_cannot_run_a_program(program):
    with pytest.raises(EngineFailedError, match="Operation not permitted"):
        run_jailed(lambda: subprocess.run(program, check=True), LIMITS, 30)


def test_an_engine_that_runs_tesseract_may_run_exactly_that():
    assert run_jailed(lambda: subprocess.run(["tesseract", "--version"], capture_output=True).returncode,
                      LIMITS, 30, programs=("tesseract",)) == 0
    with pytest.raises(EngineFailedError, match="does not allow running '/bin/sh'"):
        run_jailed(lambda: subprocess.run(["/bin/sh", "-c", "true"]), LIMITS, 30, programs=("tesseract",))
    engine = TesseractThenShell()  # reads the page with tesseract, then tries a shell
    with pytest.raises(EngineFailedError, match="does not allow running '/bin/sh'"):
        run_jailed(lambda: engine.recognize(png(), RecognizeOptions()), LIMITS, 60, programs=engine.programs)


def test_a_jailed_call_cannot_use_the_workers_connections():
    with socket.create_server(("127.0.0.1", 0)) as server:
        with socket.create_connection(server.getsockname()) as connection:
            fd = connection.fileno()
            with pytest.raises(EngineFailedError, match="Bad file descriptor"):
                run_jailed(lambda: os.write(fd, b"hello"), LIMITS, 30)


def test_memory_cpu_file_size_and_time_limits():
    with pytest.raises(JailError, match="ran out of memory") as caught:
        run_jailed(lambda: bytearray(8 << 30), LIMITS, 30)
    assert caught.value.reason == "memory"

    def spin():
        while True:
            pass

    with pytest.raises(JailError, match="2 CPU seconds") as caught:
        run_jailed(spin, LIMITS, 60)
    assert caught.value.reason == "cpu"

    def big_file():
        with open("big", "wb") as handle:
            handle.write(b"x" * (2 << 20))

    with pytest.raises(JailError, match="over its 1 MiB limit") as caught:
        run_jailed(big_file, LIMITS, 30)
    assert caught.value.reason == "file"
    with pytest.raises(EngineTimeoutError, match="was killed"):
        run_jailed(lambda: time.sleep(60), LIMITS, 0.5)


def test_a_child_killed_by_a_signal_is_reported_and_the_caller_goes_on():
    with pytest.raises(JailError, match="killed by SIGSEGV") as caught:
        run_jailed(lambda: os.kill(os.getpid(), signal.SIGSEGV), LIMITS, 30)
    assert caught.value.reason == "signal"
    assert run_jailed(lambda: "still here", LIMITS, 30) == "still here"


def test_each_call_has_a_private_temp_folder_removed_afterwards():
    folder = run_jailed(lambda: (tempfile.gettempdir(), os.stat(tempfile.gettempdir()).st_mode & 0o777), LIMITS, 30)
    assert folder[1] == 0o700 and folder[0] != tempfile.gettempdir() and not os.path.exists(folder[0])
