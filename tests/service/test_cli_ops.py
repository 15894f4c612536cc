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

import pytest

from tests.conftest import render_text


def ocrgate(*args: str, env: dict | None = None, stdin: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, input=stdin)


def test_gate_lifecycle_on_the_command_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'ops.db'}"
    notebook = {"OCRGATE_LAB_NOTEBOOK": str(tmp_path / "lab.jsonl")}
    done = ocrgate("gate", "set", "ocr-engine", "--control", "tesseract", "--candidate", "tesseract", "--db", db)
    assert done.returncode == 0, done.stderr  # an A/A gate: the same engine on both sides
    done = ocrgate("gate", "set", "ocr-engine", "--stage", "rollout", "--percent", "5", "--db", db)
    assert done.returncode == 2 and "A/A gate" in done.stderr
    done = ocrgate("gate", "set", "ocr-engine", "--percent", "150", "--db", db)
    assert done.returncode == 2 and "percent" in done.stderr
    done = ocrgate("gate", "set", "nope", "--stage", "on", "--db", db)
    assert done.returncode == 2 and "--control and --candidate" in done.stderr
    done = ocrgate("gate", "kill", "ocr-engine", "--reason", "drill", "--actor", "pat", "--json", "--db", db)
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


def _gate_db(tmp_path) -> str:
    db = f"sqlite:///{tmp_path / 'ops.db'}"
    assert ocrgate("gate", "set", "ocr-engine", "--control", "tesseract", "--candidate", "tesseract",
                   "--db", db).returncode == 0
    return db


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """`ocrgate gate show NAME | head -3`: no BrokenPipeError traceback, the SIGPIPE status like `cat`."""
    db = _gate_db(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write: every write fails with EPIPE
    try:
        done = subprocess.run([sys.executable, "-m", "ocrgate", "gate", "show", "ocr-engine", "--db", db],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr and "Exception" not in done.stderr


def test_a_shell_pipe_into_head_is_quiet(tmp_path):
    db = _gate_db(tmp_path)
    done = subprocess.run(["bash", "-c", f'"{sys.executable}" -m ocrgate gate show ocr-engine --db "{db}" | head -3'],
                          capture_output=True, text=True, timeout=300)
    assert len(done.stdout.splitlines()) == 3 and done.stderr == ""


@pytest.mark.parametrize("value", ["inf", "1e308", "nan"])
def test_percent_must_be_a_finite_number_from_0_to_100(tmp_path, value):
    db = _gate_db(tmp_path)
    version = json.loads(ocrgate("gate", "list", "--json", "--db", db).stdout)[0]["version"]
    for option in ("--percent", "--shadow-percent", "--aa-percent"):
        done = ocrgate("gate", "set", "ocr-engine", option, value, "--db", db)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "must be a number from 0 to 100" in done.stderr
    assert json.loads(ocrgate("gate", "list", "--json", "--db", db).stdout)[0]["version"] == version


def test_a_bad_environment_value_is_one_line_and_exit_2(tmp_path):
    """`OCRGATE_SHADOW_WORKERS=two ocrgate serve`: the variable, its range and the value; nothing starts."""
    db = f"sqlite:///{tmp_path / 'svc.db'}"
    done = ocrgate("serve", "--port", str(_free_port()), "--db", db, env={"OCRGATE_SHADOW_WORKERS": "two"},
                   timeout=60)  # a server that starts anyway is killed here
    assert done.returncode == 2
    assert done.stderr == "ocrgate: error: OCRGATE_SHADOW_WORKERS must be a whole number from 1 to 64, got 'two'\n"
    assert done.stdout == ""


@pytest.mark.parametrize("variable, value", [("OCRGATE_SHADOW_WORKERS", "\u00b2"), ("OCRGATE_SERVE_TIMEOUT", "inf"),
                                             ("OCRGATE_AUTO_ROLLBACK", "maybe"), ("OCRGATE_PORT", "99999")])
def test_every_bad_service_setting_is_refused_before_serving(tmp_path, variable, value):
    done = ocrgate("serve", "--port", str(_free_port()), "--db", f"sqlite:///{tmp_path / 'svc.db'}",
                   env={variable: value}, timeout=60)
    assert done.returncode == 2 and done.stderr.startswith(f"ocrgate: error: {variable} must be ")
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
