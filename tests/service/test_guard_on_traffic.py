"""End to end on a real `ocrgate serve`: a candidate engine that is worse in one category only, installed
as a third-party plugin through the `ocrgate.engines` entry point, passes its benchmarks (which hold no
such pages) but is stopped by the guard on traffic, once two labellers have read its word crops.

The plugin is Tesseract that misreads every other word (drops its last letter) on pages wider than
WIDE px; the test's `wide` pages are wide, its `narrow` ones are not. Consent for `wide`, traffic
through `POST /v1/ocr`, two labellers over the admin, then a ramp from the admin is refused with a
`labels · labelled_accuracy` fail row, which the preview shows and the audit log records.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib import request

import pytest

from engines.registry import get_engine
from service.client import ApiClient
from tests.conftest import render_text
from tests.raw_http import AdminBrowser
from tests.service.test_cli_ops import _free_port, ocrgate

WIDE = 700
PLUGIN = f'''"""Tesseract, except that on pages wider than {WIDE} px every other word loses its last letter."""

from engines.tesseract import TesseractEngine


class WideMisreader(TesseractEngine):
    name = "tesseract-wide"

    @property
    def version(self):
        return "1.0-wide"

    def _read_page(self, page, options):
        read = super()._read_page(page, options)
        if page.width > {WIDE}:
            for index, word in enumerate(read.words):
                if index % 2 == 0 and len(word.text) > 1:
                    word.text = word.text[:-1]
        return read
'''
WIDE_PAGES = [["INVOICE NUMBER MARKET STREET HARBOUR VIEW", "PAYMENT RECEIVED WITH THANKS TODAY"],
              ["GARDEN CENTRE PLANTS SEEDS AND FLOWERS", "WINTER SALE ENDS ON FRIDAY EVENING"],
              ["RAILWAY TICKET OFFICE RETURN JOURNEY", "PLATFORM NUMBER SEVEN DEPARTS NORTH"]]
NARROW_PAGES = [["TOTAL 12.90"], ["CASH 20.00"]]
TRUE_WORDS = {word for page in WIDE_PAGES + NARROW_PAGES for line in page for word in line.split()}
PASSWORDS = {"ops": "operator password 1", "lena": "labeller password 1", "omar": "labeller password 2"}


def _install_plugin(root: Path) -> Path:
    """A package with its dist-info, as pip would leave it: registered through the entry point only."""
    info = root / "wide_misreader-0.1.dist-info"
    info.mkdir(parents=True)
    (root / "wide_misreader.py").write_text(PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: wide-misreader\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[ocrgate.engines]\ntesseract-wide = wide_misreader:WideMisreader\n")
    return root


def _notebook(path: Path) -> None:
    """Benchmarks that clear the candidate in both categories at its version: they hold no wide pages."""
    versions = {"tesseract": get_engine("tesseract").version, "tesseract-wide": "1.0-wide"}
    entry = {"id": 1, "kind": "eval", "at": "2026-12-01T00:00:00", "git_commit": "test", "run_id": "t",
             "sets": [{"name": "donated", "content_hash": "d0", "n": 80, "path": "/donated"}],
             "engines": [{"name": name, "version": version} for name, version in versions.items()],
             "headline": {}, "verdicts": [
                 {"control": "tesseract", "candidate": "tesseract-wide", "category": category, "n": 40,
                  "delta": 0.0, "delta_ci95": [-0.01, 0.01], "p_value": 1.0, "p_adjusted": 1.0,
                  "verdict": "not distinguishable"} for category in ("wide", "narrow")]}
    path.write_text(json.dumps(entry) + "\n")


def _png(lines: list[str]) -> bytes:
    buffer = io.BytesIO()
    render_text(lines, size=30).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def server(tmp_path):
    """`ocrgate serve` as a process with the plugin installed, a gate shadowing it, users and a token."""
    db = f"sqlite:///{tmp_path / 'svc.db'}"
    _notebook(tmp_path / "lab.jsonl")
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(_install_plugin(tmp_path / "site")),
                                                       os.environ.get("PYTHONPATH")])),
           "OCRGATE_LAB_NOTEBOOK": str(tmp_path / "lab.jsonl"), "OCRGATE_SECRET_KEY": "s" * 64,
           "OCRGATE_GUARD_MIN_PAIRS": "2", "OCRGATE_GUARD_MIN_LABELS": "6",
           "OCRGATE_GUARD_MAX_LATENCY_RATIO": "100", "OCRGATE_AUTO_ROLLBACK": "0"}
    for args in (("--control", "tesseract", "--candidate", "tesseract-wide"),
                 ("--stage", "shadow", "--aa-percent", "0")):
        done = ocrgate("gate", "set", "ocr-engine", *args, "--db", db, env=env)
        assert done.returncode == 0, done.stderr
    for name, role in (("ops", "operator"), ("lena", "labeller"), ("omar", "labeller")):
        done = ocrgate("users", "create", name, "--role", role, "--db", db, stdin=PASSWORDS[name] + "\n")
        assert done.returncode == 0, done.stderr
    token = ocrgate("tokens", "create", "scanner", "--scope", "ocr", "--scope", "read", "--db", db).stdout.strip()
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "ocrgate", "serve", "--port", str(port), "--db", db],
                               env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        health = _wait_for_health(base, process)
        assert health["engines"]["tesseract-wide"] == "ok"  # found through its entry point, nothing else
        yield base, ApiClient(base, token)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_for_health(base: str, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            with request.urlopen(base + "/healthz", timeout=5) as response:
                return json.loads(response.read())
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not come up")


def _signed_in(base: str, username: str) -> AdminBrowser:
    browser = AdminBrowser(base)
    assert browser.sign_in(username, PASSWORDS[username]).status == 302
    return browser


def _label_everything(base: str, username: str) -> int:
    """Read each offered crop as a person would: the reading that is the word, else the word typed."""
    browser, read = _signed_in(base, username), 0
    while True:
        page = browser.get("/admin/label").text
        offered = re.search(r'name="task" value="(\d+)"', page)
        if offered is None:
            assert 'id="no-tasks"' in page
            return read
        assert "tesseract" not in page  # the readings are unnamed
        crop = browser.get(f"/admin/label/{offered.group(1)}.png")
        assert crop.status == 200 and crop.headers["Content-Type"] == "image/png"
        readings = [html.unescape(value) for value in re.findall(r'<button type="submit" name="text" value="([^"]*)"',
                                                                  page)]
        right = [reading for reading in readings if reading in TRUE_WORDS]
        text = right[0] if right else min(TRUE_WORDS, key=lambda word: _distance(word, readings[0]))
        saved = browser.post("/admin/label", {"task": offered.group(1), "text": text}, page="/admin/label")
        assert saved.status == 302, saved.text
        read += 1


def _distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def _refusing_rows(page: str) -> list[tuple[str, ...]]:
    """(verdict, source · check, category) of each finding that refuses, from a findings table."""
    rows = re.findall(r'<tr class="bad-finding[^"]*">\s*<td><b>([^<]+)</b></td><td>([^<]+)</td><td>([^<]+)</td>', page)
    return [tuple(html.unescape(cell) for cell in row) for row in rows]


def test_a_candidate_worse_on_wide_pages_is_stopped_by_labelled_traffic(server):
    base, client = server
    ops = _signed_in(base, "ops")
    granted = ops.post("/admin/labelling/consent", {"action": "grant", "kind": "category", "value": "wide"},
                       page="/admin/labelling")
    assert granted.status == 302
    for i, lines in enumerate(WIDE_PAGES):
        assert client.ocr(_png(lines), unit=f"depot-{i}", category="wide")["engine"] == "tesseract"
    for i, lines in enumerate(NARROW_PAGES):
        client.ocr(_png(lines), unit=f"shop-{i}", category="narrow")
    deadline = time.monotonic() + 120  # the shadow runs finish in the server's own time
    while len(client.pairs(limit=100)["pairs"]) < 5 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert len(client.pairs(limit=100)["pairs"]) == 5

    read = _label_everything(base, "lena")
    assert read >= 6 and _label_everything(base, "omar") == read
    settings = ops.get("/admin/labelling").text
    assert re.search(rf"<td>ocr-engine</td><td>wide</td><td class=\"num\">{read}</td><td class=\"num\">{read}</td>",
                     settings)

    health = ops.get("/admin/gates/ocr-engine").text
    assert "Safe to ramp to 1%: <b id=\"safe-answer\">no</b>" in health
    assert _refusing_rows(health) == [("fail", "labels · labelled_accuracy", "wide")]

    version = re.search(r'name="version" value="(\d+)"', health).group(1)
    change = {"version": version, "stage": "rollout", "percent": "1", "shadow_percent": "100", "aa_percent": "0",
              "reason": "benchmarks are clean"}
    preview = ops.post("/admin/gates/ocr-engine/preview", change, page="/admin/gates/ocr-engine")
    assert preview.status == 200 and "The guard refuses this ramp" in preview.text
    assert _refusing_rows(preview.text) == [("fail", "labels · labelled_accuracy", "wide")]
    applied = ops.post("/admin/gates/ocr-engine/apply", change, page="/admin/gates/ocr-engine")
    assert applied.status == 409 and "ramp refused" in applied.text
    assert client.gates()["gates"][0]["stage"] == "shadow"

    audit = ops.get("/admin/audit?action=ramp-refused").text
    assert len(re.findall(r'class="action-ramp-refused"', audit)) == 1
    assert _refusing_rows(audit) == [("fail", "labels · labelled_accuracy", "wide")]
