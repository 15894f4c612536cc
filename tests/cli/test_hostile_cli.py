"""The CLI as a Tesseract/OCRmyPDF user runs it: JSON Lines, `-` for standard input, `-j`, progress
bars on a terminal, several inputs for `pdf`, defaults in every help, readable text or one JSON
document for records, and one line (never a traceback) for any bad input. Real `ocrgate` processes."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
from pathlib import Path

import pytest
from PIL import Image

from ocrgate.cli import build_parser, main
from tests.cli.test_bad_inputs_and_crashes import CrashesOnB
from tests.conftest import render_text
from tests.pdf.extractors import pdftotext
from tests.rollout_fixtures import png_bytes

TEXTS = (["Invoice number 4711"], ["Total due 12.90"], ["Paid with thanks"])


def ocrgate(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "ocrgate", *args],
        input=stdin,
        capture_output=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


def on_a_terminal(*args: str) -> tuple[int, str]:
    """Run ocrgate with standard error on a pseudo-terminal; its exit code and what it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 24 rows, 100 columns
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed: the process is gone
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ocrgate", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=follower,
            timeout=300,
        )
    finally:
        os.close(follower)
        reader.join(30)
        os.close(leader)
    return done.returncode, b"".join(chunks).decode(errors="replace")


def error_lines(done: subprocess.CompletedProcess) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.strip()]


@pytest.fixture
def pages(tmp_path) -> list[Path]:
    made = []
    for number, lines in enumerate(TEXTS, start=1):
        path = tmp_path / f"page{number}.png"
        render_text(lines).save(path)
        made.append(path)
    return made


@pytest.fixture
def tiff(tmp_path) -> Path:
    path = tmp_path / "three.tif"
    images = [render_text(lines) for lines in TEXTS]
    images[0].save(path, save_all=True, append_images=images[1:], dpi=(300, 300))
    return path


# --- ocr: JSON Lines, standard input, -j, the name once ------------------------------------------------------


def test_json_for_several_inputs_is_json_lines_in_input_order(pages, tmp_path):
    inputs = [*map(str, pages), str(tmp_path / "missing.png")]
    done = ocrgate("ocr", *inputs, "--format", "json", "--engine", "tesseract")
    assert done.returncode == 2, done.stderr
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [record["input"] for record in records] == inputs
    assert records[-1]["exit_code"] == 2 and "missing.png" in records[-1]["error"]
    single = ocrgate("ocr", str(pages[0]), "--format", "json", "--engine", "tesseract")
    assert len(single.stdout.splitlines()) > 1  # one input: the pretty document, as before
    assert json.loads(single.stdout)["pages"] == records[0]["pages"]


def test_a_dash_reads_standard_input(pages, tmp_path):
    from_file = ocrgate("ocr", str(pages[0]), "--engine", "tesseract")
    from_stdin = ocrgate("ocr", "-", "--engine", "tesseract", stdin=pages[0].read_bytes())
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert from_stdin.stdout == from_file.stdout
    image_pdf = tmp_path / "from-image.pdf"
    done = ocrgate("pdf", "-", "-o", str(image_pdf), "--engine", "tesseract", stdin=pages[0].read_bytes())
    assert done.returncode == 0, done.stderr
    assert pdftotext(image_pdf).split() == from_file.stdout.split()
    scan = tmp_path / "scan.pdf"
    Image.open(pages[1]).save(scan, resolution=150)
    done = ocrgate("pdf", "-", "-o", str(tmp_path / "from-pdf.pdf"), "--engine", "tesseract", stdin=scan.read_bytes())
    assert done.returncode == 0, done.stderr
    assert pdftotext(tmp_path / "from-pdf.pdf").split()
    broken = ocrgate("pdf", "-", "-o", str(tmp_path / "broken.pdf"), stdin=b"%PDF-1.4 not really")
    assert broken.returncode == 2 and len(error_lines(broken)) == 1, broken.stderr
    assert "<stdin>" in broken.stderr and "ocrgate-stdin" not in broken.stderr  # not the temporary file


@pytest.mark.parametrize("command", ["ocr", "pdf"])
def test_standard_input_is_bounded_by_the_image_byte_limit(pages, tmp_path, command):
    data = pages[0].read_bytes()
    extra = ["-o", str(tmp_path / "out.pdf")] if command == "pdf" else []
    done = ocrgate(command, "-", *extra, stdin=data, env={"OCRGATE_MAX_IMAGE_BYTES": str(len(data) - 1)})
    assert done.returncode == 2
    assert len(error_lines(done)) == 1 and "limit" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out.pdf").exists()


def test_jobs_read_inputs_in_parallel_and_keep_their_order(pages):
    inputs = [str(p) for p in [*pages, *pages]]
    one = ocrgate("ocr", *inputs, "--engine", "tesseract")
    parallel = ocrgate("ocr", *inputs, "--engine", "tesseract", "-j", "3")
    assert one.returncode == parallel.returncode == 0, parallel.stderr
    assert parallel.stdout == one.stdout
    assert [line for line in parallel.stdout.splitlines() if line.startswith("==>")] == [
        f"==> {name} <==" for name in inputs
    ]


def test_a_crash_with_jobs_costs_its_own_file_only(tmp_path, capsys):
    from engines import register_engine
    from engines.registry import unregister_engine

    files = []
    for name in ("a.png", "b.png", "c.png", "d.png"):
        render_text([name]).save(tmp_path / name)
        files.append(str(tmp_path / name))
    register_engine(CrashesOnB.name, CrashesOnB)
    try:
        code = main(["ocr", *files, "--engine", CrashesOnB.name, "--format", "json", "-j", "2"])
    finally:
        unregister_engine(CrashesOnB.name)
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["input"] for r in records] == files
    assert [("error" in r) for r in records] == [name.endswith("b.png") for name in files]
    errors = [line for line in err.splitlines() if line.startswith("ocrgate: error")]
    assert len(errors) == 1 and "b.png" in errors[0] and "ZeroDivisionError" in errors[0]


@pytest.mark.parametrize("command", ["ocr", "pdf"])
def test_a_missing_file_is_named_once(tmp_path, command):
    missing = tmp_path / "my  old\tscan.png"  # runs of spaces and tabs, as file names may have
    extra = ["-o", str(tmp_path / "out.pdf")] if command == "pdf" else []
    done = ocrgate(command, str(missing), *extra)
    assert done.returncode == 2
    lines = error_lines(done)
    assert len(lines) == 1 and lines[0].count("scan.png") == 1 and str(missing) in lines[0], done.stderr


# --- help, progress ----------------------------------------------------------------------------------------


def _options_with_defaults(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options_with_defaults(sub, (*path, name))
        elif action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS):
            yield path, action


def test_every_help_shows_the_defaults():
    by_command: dict[tuple[str, ...], list[argparse.Action]] = {}
    for path, action in _options_with_defaults(build_parser()):
        by_command.setdefault(path, []).append(action)
    assert ("ocr",) in by_command and ("pdf",) in by_command
    for path, actions in by_command.items():
        done = ocrgate(*path, "--help")
        shown = " ".join(done.stdout.split())
        assert done.returncode == 0
        for action in actions:
            assert f"(default: {action.default})" in shown, (path, action.option_strings)


def test_pdf_shows_progress_on_a_terminal_only(tiff, tmp_path):
    code, terminal = on_a_terminal("pdf", str(tiff), "-o", str(tmp_path / "a.pdf"), "--engine", "tesseract")
    assert code == 0, terminal
    assert "100%" in terminal and "page" in terminal
    code, quiet = on_a_terminal("pdf", str(tiff), "-o", str(tmp_path / "b.pdf"), "--engine", "tesseract", "--quiet")
    assert code == 0 and quiet.strip() == "", quiet
    piped = ocrgate("pdf", str(tiff), "-o", str(tmp_path / "c.pdf"), "--engine", "tesseract")
    assert piped.returncode == 0 and "%" not in piped.stderr and "\r" not in piped.stderr


def test_eval_shows_progress_on_a_terminal_only(tiny_set, tmp_path):
    base = ["eval", "--engine", "tesseract", "--set", str(tiny_set), "--no-cache"]
    code, terminal = on_a_terminal(*base, "--out", str(tmp_path / "a"))
    assert code == 0 and "100%" in terminal, terminal
    code, quiet = on_a_terminal(*base, "--out", str(tmp_path / "b"), "--quiet")
    assert code == 0 and quiet.strip() == "", quiet
    assert (tmp_path / "b" / "results.json").exists()


def test_pdf_pages_read_in_parallel_keep_their_order(tiff, tmp_path):
    one, parallel = tmp_path / "one.pdf", tmp_path / "parallel.pdf"
    assert ocrgate("pdf", str(tiff), "-o", str(one), "--engine", "tesseract").returncode == 0
    done = ocrgate("pdf", str(tiff), "-o", str(parallel), "--engine", "tesseract", "-j", "3")
    assert done.returncode == 0, done.stderr
    assert pdftotext(parallel) == pdftotext(one)


# --- pdf with several inputs ---------------------------------------------------------------------------------


def test_pdf_takes_several_inputs_into_a_folder(pages, tmp_path):
    folder = tmp_path / "searchable"
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG truncated")
    done = ocrgate("pdf", str(pages[0]), str(bad), *map(str, pages[1:]), "-o", str(folder), "--engine", "tesseract")
    assert done.returncode == 2
    assert "broken.png" in done.stderr and "1 of 4 inputs failed" in done.stderr
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{p.stem}.pdf" for p in pages)
    for page in pages:
        read = ocrgate("ocr", str(page), "--engine", "tesseract").stdout
        assert pdftotext(folder / f"{page.stem}.pdf").split() == read.split()
    single = ocrgate("pdf", str(pages[0]), "-o", str(tmp_path / "one.pdf"), "--engine", "tesseract")
    assert single.returncode == 0 and (tmp_path / "one.pdf").exists()  # the one-input contract stays
    clash = ocrgate("pdf", *map(str, pages), "-o", str(tmp_path / "all.pdf"))
    assert clash.returncode == 2 and len(error_lines(clash)) == 1 and not (tmp_path / "all.pdf").exists()


# --- records: readable text, or one JSON document ------------------------------------------------------------


def test_gate_show_is_readable_text_and_json_is_one_document(tmp_path, test_engines):
    from rollout.gate_store import GateChange, change_gate, create_gate
    from rollout.router import Router
    from rollout.shadow import ShadowRunner
    from rollout.snapshot import GateSnapshot
    from rollout.store import Store

    url = f"sqlite:///{tmp_path / 'ops.db'}"
    store = Store(url)
    create_gate(store, "g", "alpha", "beta", actor="pat", reason="first try")
    change_gate(store, "g", GateChange(stage="shadow", shadow_percent=100), actor="sam", reason="shadow it")
    shadows = ShadowRunner(store, workers=1, timeout=5.0, sweep_seconds=0.2).start()
    router = Router(store, GateSnapshot(store), shadows)
    for n in range(3):
        router.serve(png_bytes(), unit=f"u{n}", category="receipts", gate="g")
    assert shadows.drain(60)
    shadows.stop()
    store.dispose()

    text = ocrgate("gate", "show", "g", "--db", url)
    assert text.returncode == 0, text.stderr
    with pytest.raises(ValueError):
        json.loads(text.stdout)
    document = ocrgate("gate", "show", "g", "--db", url, "--json")
    data = json.loads(document.stdout)
    assert set(data) == {"gate", "schedule", "traffic_24h", "audit"}
    assert data["gate"]["control"] in text.stdout and data["gate"]["candidate"] in text.stdout
    for entry in data["audit"]:
        assert entry["actor"] in text.stdout and entry["reason"] in text.stdout
    for category, row in data["traffic_24h"].items():
        line = next(line for line in text.stdout.splitlines() if line.split()[:1] == [category])
        assert line.split()[1] == str(row["pairs"])


def test_commands_that_print_records_print_one_json_document(tmp_path):
    env = {
        "OCRGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}",
        "OCRGATE_SETS_FILE": str(tmp_path / "sets.json"),
        "OCRGATE_LAB_NOTEBOOK": str(tmp_path / "lab.jsonl"),
    }
    assert ocrgate("tokens", "create", "billing", env=env).returncode == 0
    assert (
        ocrgate("users", "create", "alice", "--role", "viewer", stdin=b"correct horse battery\n", env=env).returncode
        == 0
    )
    for command, name in ((("tokens", "list"), "billing"), (("users", "list"), "alice"), (("engines",), "tesseract")):
        text = ocrgate(*command, env=env)
        document = ocrgate(*command, "--json", env=env)
        assert text.returncode == document.returncode == 0, document.stderr
        assert name in text.stdout and name in {row["name"] for row in json.loads(document.stdout)}
    for command in (("gate", "list"), ("sets", "list"), ("lab", "list"), ("search", "invoice")):
        document = ocrgate(*command, "--json", env=env)
        assert document.returncode == 0, document.stderr
        json.loads(document.stdout)


# --- bad input: one line, the documented exit code, never a traceback ------------------------------------------


@pytest.fixture
def hostile(tmp_path, pages) -> dict[str, str]:
    (tmp_path / "folder").mkdir()
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "notes.png").write_text("not an image\n")
    return {
        "dir": str(tmp_path / "folder"),
        "fifo": str(tmp_path / "fifo"),
        "empty": str(tmp_path / "empty.png"),
        "text": str(tmp_path / "notes.png"),
        "page": str(pages[0]),
        "out": str(tmp_path / "out.pdf"),
        "db": f"sqlite:///{tmp_path / 'ops.db'}",
        "unreadable": "/proc/self/mem",
    }


BAD_INPUTS = [
    (["ocr", "{dir}"], 2),
    (["ocr", "{fifo}"], 2),
    (["ocr", "{empty}"], 2),
    (["ocr", "{text}"], 2),
    (["ocr", "{unreadable}"], 2),
    (["pdf", "{dir}", "-o", "{out}"], 2),
    (["pdf", "{fifo}", "-o", "{out}"], 2),
    (["pdf", "{empty}", "-o", "{out}"], 2),
    (["pdf", "{text}", "-o", "{out}"], 2),
    (["pdf", "{unreadable}", "-o", "{out}"], 2),
    (["ocr", "{page}", "--timeout", "inf"], 2),
    (["ocr", "{page}", "-j", "0"], 2),
    (["ocr", "{page}", "--out", "{page}"], 2),
    (["ocr", "-", "-"], 2),
    (["pdf", "{page}", "-o", "{out}", "--dpi", "²"], 2),
    (["pdf", "{page}", "-o", "{out}", "--timeout", "nan"], 2),
    (["pdf", "{page}", "-o", "{out}", "--index", "{dir}"], 2),
    (["gate", "set", "g", "--percent", "inf", "--db", "{db}"], 2),
    (["gate", "show", "nope", "--db", "{db}"], 2),
    (["gate", "kill", "nope", "--db", "{db}"], 2),
    (["gate", "list", "--db", "sqlite:///{dir}"], 2),
    (["gate", "list", "--db", "nope://x"], 2),
    (["tokens", "list", "--db", "sqlite:///{text}"], 2),
    (["search", "x", "--limit", "²"], 2),
    (["search", "x", "--index", "{text}"], 2),
    (["lab", "list", "--limit", "²"], 2),
    (["lab", "diff", "1", "2"], 2),
    (["sets", "check", "{dir}"], 2),
    (["sets", "check", "{fifo}"], 2),
    (["sets", "add", "mine", "{dir}"], 2),
    (["eval", "--engine", "tesseract", "--set", "{dir}", "--out", "{dir}", "--limit", "²"], 2),
    (["replay", "{page}", "--token", "t", "--url", "http://[::1"], 2),
    (["serve", "--port", "²"], 2),
]


@pytest.mark.parametrize("args, code", BAD_INPUTS, ids=[" ".join(args) for args, _ in BAD_INPUTS])
def test_bad_input_is_one_line_with_its_exit_code(hostile, tmp_path, args, code):
    env = {
        "OCRGATE_LAB_NOTEBOOK": str(tmp_path / "lab.jsonl"),
        "OCRGATE_SETS_FILE": str(tmp_path / "sets.json"),
        "OCRGATE_DATABASE_URL": hostile["db"],
    }
    done = ocrgate(*(arg.format(**hostile) for arg in args), env=env)
    assert done.returncode == code, done.stderr
    lines = error_lines(done)
    assert len(lines) == 1 and lines[0].startswith("ocrgate: error: "), done.stderr
    assert "Traceback" not in done.stderr
    assert not Path(hostile["out"]).exists()
