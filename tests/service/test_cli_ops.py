"""Ops on the command line: tokens, gates (set, guard, kill, audit), and `ocrgate serve` + `replay`
as real processes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib import request

from tests.conftest import render_text


def ocrgate(*args: str, env: dict | None = None, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})}, input=stdin)


def test_gate_lifecycle_on_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'ops.db'}"
    notebook = {"OCRGATE_LAB_NOTEBOOK": str(tmp_path / "lab.jsonl")}
    done = ocrgate("gate", "set", "ocr-engine", "--control", "tesseract", "--candidate", "tesseract", "--db", db)
    assert done.returncode == 0, done.stderr  # created off: same engine allowed while off
    done = ocrgate("gate", "set", "ocr-engine", "--stage", "shadow", "--db", db)
    assert done.returncode == 2 and "same engine" in done.stderr
    done = ocrgate("gate", "set", "ocr-engine", "--percent", "150", "--db", db)
    assert done.returncode == 2 and "percent" in done.stderr
    done = ocrgate("gate", "set", "nope", "--stage", "on", "--db", db)
    assert done.returncode == 2 and "--control and --candidate" in done.stderr
    done = ocrgate("gate", "kill", "ocr-engine", "--reason", "drill", "--actor", "pat", "--db", db)
    assert done.returncode == 0 and json.loads(done.stdout)["killed"] is True
    listing = ocrgate("gate", "list", "--db", db, env=notebook)
    assert "KILLED" in listing.stdout
    shown = ocrgate("gate", "show", "ocr-engine", "--db", db)
    assert "pat" in shown.stdout and "drill" in shown.stdout


def test_tokens_are_printed_once_and_stored_hashed(tmp_path):
    db = tmp_path / "tok.db"
    done = ocrgate("tokens", "create", "billing", "--db", f"sqlite:///{db}")
    token = done.stdout.strip()
    assert done.returncode == 0 and token.startswith("ocg_")
    assert token.encode() not in db.read_bytes()
    assert ocrgate("tokens", "create", "billing", "--db", f"sqlite:///{db}").returncode == 2
    assert "billing" in ocrgate("tokens", "list", "--db", f"sqlite:///{db}").stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_and_replay_as_real_processes(tmp_path):
    db = f"sqlite:///{tmp_path / 'svc.db'}"
    token = ocrgate("tokens", "create", "replayer", "--db", db).stdout.strip()
    ocrgate("gate", "set", "ocr-engine", "--control", "tesseract", "--candidate", "tesseract", "--db", db)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "ocrgate", "serve", "--port", str(port), "--db", db],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert json.loads(response.read())["status"] == "ok"
                    break
            except OSError:
                time.sleep(0.3)
        page = tmp_path / "page.png"
        render_text(["Replay me please"]).save(page)
        done = ocrgate("replay", str(page), str(Path(__file__)), "--url", f"http://127.0.0.1:{port}",
                       "--token", token, "--category", "screenshots")
        assert "served by tesseract" in done.stdout
        assert "test_cli_ops.py: failed: HTTP 400" in done.stderr and done.returncode == 2
    finally:
        server.terminate()
        server.wait(timeout=30)
