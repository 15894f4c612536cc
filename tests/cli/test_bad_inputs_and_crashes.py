"""`ocrgate ocr` and `ocrgate pdf` on what is not a picture file, and with an engine that crashes:
a one-line reason, the documented exit code, and the rest of the batch still done."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from engines import BBox, Block, Line, OcrEngine, Page, Word, register_engine
from engines.registry import unregister_engine
from ocrgate.cli import main
from tests.conftest import render_text


def ocrgate(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=timeout)


class CrashesOnB(OcrEngine):
    """Reads every page as its file name; a bug (not an OcrgateError) on files named b.*"""

    name = "crashes-on-b"

    @property
    def version(self) -> str:
        return "1"

    def _read_page(self, page, options):
        if os.path.basename(page.source).startswith("b."):
            raise ZeroDivisionError("division by zero")
        word = Word(os.path.basename(page.source), BBox(0, 0, page.width, page.height), 1.0)
        return Page(width=page.width, height=page.height, blocks=[Block([Line([word])])])


@pytest.fixture
def crashes_on_b():
    register_engine(CrashesOnB.name, CrashesOnB)
    yield CrashesOnB.name
    unregister_engine(CrashesOnB.name)


def test_a_crashing_engine_costs_its_own_file_only(tmp_path, crashes_on_b, capsys):
    files = []
    for name in ("a.png", "b.png", "c.png"):
        render_text([name]).save(tmp_path / name)
        files.append(str(tmp_path / name))
    out = tmp_path / "out"
    code = main(["ocr", *files, "--engine", crashes_on_b, "--out", str(out)])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("ocrgate: error")]
    assert code == 1
    assert len(errors) == 1 and "b.png" in errors[0] and "ZeroDivisionError" in errors[0]
    assert sorted(p.name for p in out.iterdir()) == ["a.png.txt", "c.png.txt"]


@pytest.mark.parametrize("kind", ["directory", "fifo", "device"])
@pytest.mark.parametrize("command", ["ocr", "pdf"])
def test_what_is_not_a_regular_file_is_refused_at_once(tmp_path, kind, command):
    if kind == "directory":
        target = tmp_path / "folder"
        target.mkdir()
    elif kind == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)  # nobody writes: opening it would block for ever
    else:
        target = "/dev/zero"  # reading it never ends
    extra = ["-o", str(tmp_path / "out.pdf")] if command == "pdf" else []
    done = ocrgate(command, str(target), *extra)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a regular file" in lines[0], done.stderr
    assert not (tmp_path / "out.pdf").exists()
