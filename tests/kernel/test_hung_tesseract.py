"""A Tesseract that hangs is stopped at the deadline, and its process killed, whichever door the
page came through: the CLI, the evaluation runner and the service."""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest
import pytesseract

from evaluation.dataset import load_set
from evaluation.runner import run_engines
from kernel.errors import EngineTimeoutError
from ocrgate.cli import main
from rollout.router import Router
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store.models import Request
from tests.conftest import render_text

HANGING_TESSERACT = """#!/bin/sh
case "$1" in
  --version) echo "tesseract 5.3.0"; exit 0 ;;
  --list-langs) printf 'List of available languages in "/x" (2):\\neng\\nosd\\n'; exit 0 ;;
esac
echo $$ >> "$OCRGATE_TEST_PIDS"
exec sleep 120
"""


@pytest.fixture
def hanging_tesseract(tmp_path, monkeypatch):
    program = tmp_path / "tesseract"
    program.write_text(HANGING_TESSERACT)
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    pids = tmp_path / "pids"
    monkeypatch.setenv("OCRGATE_TEST_PIDS", str(pids))
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", str(program))
    return pids


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has stopped working


def assert_killed(pids: Path) -> None:
    started = [int(line) for line in pids.read_text().split()]
    assert started, "the hanging tesseract never started"
    for _ in range(100):  # the kill lands just after the deadline answer
        if not any(_running(pid) for pid in started):
            return
        time.sleep(0.05)
    raise AssertionError(f"tesseract processes {started} still run after the deadline")


@pytest.fixture
def page(tmp_path) -> Path:
    path = tmp_path / "page.png"
    render_text(["hello there"]).save(path)
    return path


def test_cli(hanging_tesseract, page, capsys):
    assert main(["ocr", str(page), "--engine", "tesseract", "--timeout", "1"]) == 4
    assert "limit" in capsys.readouterr().err
    assert_killed(hanging_tesseract)


def test_eval_runner(hanging_tesseract, page, tmp_path):
    root = tmp_path / "set"
    (root / "images").mkdir(parents=True)
    page.rename(root / "images" / "p1.png")
    record = {"id": "p1", "image": "images/p1.png", "category": "docs", "text": "hello there",
              "lines": [{"bbox": [0, 0, 10, 10], "text": "hello there"}]}
    (root / "manifest.jsonl").write_text(json.dumps(record) + "\n")
    runs = run_engines(["tesseract"], [load_set(root)], timeout=1, progress=False)
    assert len(runs) == 1 and "EngineTimeoutError" in runs[0].error
    assert_killed(hanging_tesseract)


def test_service(hanging_tesseract, page, sqlite_store):
    shadows = ShadowRunner(sqlite_store, workers=1)
    router = Router(sqlite_store, GateSnapshot(sqlite_store), shadows, default_engine="tesseract", serve_timeout=1)
    with pytest.raises(EngineTimeoutError):
        router.serve(page.read_bytes(), unit="u", category="docs")
    with sqlite_store.session() as session:
        assert [row.status for row in session.query(Request)] == ["failed"]
    assert_killed(hanging_tesseract)
