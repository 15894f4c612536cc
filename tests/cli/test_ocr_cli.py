"""`ocrgate ocr` and `ocrgate engines` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from lxml import etree

from engines.tesseract import DESKEW_DEFAULT
from imaging import deskew, illumination
from tests.conftest import render_text
from tests.imaging.test_intake import bomb_png


def ocrgate(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ocrgate", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture
def page(tmp_path):
    path = tmp_path / "page.png"
    render_text(["Invoice number 4711", "Total due 12.90"]).save(path)
    return path


def test_all_four_formats_carry_the_same_words(page, tmp_path):
    out = tmp_path / "out"
    for fmt in ("text", "json", "hocr", "alto"):
        done = ocrgate("ocr", str(page), "--engine", "tesseract", "--format", fmt, "--out", str(out))
        assert done.returncode == 0, done.stderr
    words = json.loads((out / "page.png.json").read_text())
    json_words = [w["text"] for p in words["pages"] for b in p["blocks"] for line in b["lines"] for w in line["words"]]
    assert "Invoice" in json_words and "12.90" in json_words
    assert (out / "page.png.txt").read_text().split() == json_words
    hocr = etree.parse(str(out / "page.png.hocr"))
    assert hocr.xpath("//*[@class='ocrx_word']/text()") == json_words
    alto = etree.parse(str(out / "page.png.alto.xml"))
    assert alto.xpath("//*[local-name()='String']/@CONTENT") == json_words
    assert not list(out.glob("*.part"))


def test_text_to_stdout(page):
    done = ocrgate("ocr", str(page))
    assert done.returncode == 0 and "Total due 12.90" in done.stdout


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"not an image", "not an image"),
        (bomb_png(), "decompression bomb"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, content, reason):
    bad = tmp_path / "bad.png"
    bad.write_bytes(content)
    done = ocrgate("ocr", str(bad))
    assert done.returncode == 2
    assert reason in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_batch_goes_on_past_a_bad_file(page, tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "out"
    done = ocrgate("ocr", str(bad), str(page), "--out", str(out))
    assert done.returncode == 2
    assert "broken.jpg" in done.stderr and "1 of 2 files failed" in done.stderr
    assert (out / "page.png.txt").exists() and not (out / "broken.jpg.txt").exists()


def test_unknown_engine_and_missing_file(page, tmp_path):
    done = ocrgate("ocr", str(page), "--engine", "nope")
    assert done.returncode == 2 and "unknown engine 'nope'" in done.stderr
    done = ocrgate("ocr", str(tmp_path / "missing.png"))
    assert done.returncode == 2 and "cannot read file" in done.stderr
    done = ocrgate("ocr", str(page), "--mode", "paragraph")
    assert done.returncode == 2


def test_engines_lists_tesseract_with_its_version():
    done = ocrgate("engines", "--json")
    assert done.returncode == 0
    rows = {row["name"]: row for row in json.loads(done.stdout)}
    installed = subprocess.run(["tesseract", "--version"], capture_output=True, text=True).stdout.split()[1]
    # the program's own version, then the pre-processing that stands between it and the page
    assert rows["tesseract"]["version"] == f"{installed}+{illumination.VERSION}+{deskew.VERSION}-{DESKEW_DEFAULT}"
    assert rows["tesseract"]["status"] == "ok"
