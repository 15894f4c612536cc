"""Shared fixtures: where the benchmark data lives, and pages rendered with known text."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

pytest_plugins = ["tests.evaluation_fixtures", "tests.rollout_fixtures", "tests.dashboard_fixtures"]

# No test writes to the real home directory: the user data, cache and config folders (the default
# database, lab notebook, eval cache, secret key) point into a fresh folder for this run, and so
# do those of every process a test starts. A test that needs one sets its own OCRGATE_* path.
_HOME = Path(tempfile.mkdtemp(prefix="ocrgate-test-home-"))
for _variable, _folder in (("HOME", ""), ("XDG_DATA_HOME", ".local/share"), ("XDG_CACHE_HOME", ".cache"),
                           ("XDG_CONFIG_HOME", ".config"), ("XDG_STATE_HOME", ".local/state")):
    os.environ[_variable] = str(_HOME / _folder)
for _variable in [name for name in os.environ if name.startswith("OCRGATE_") and name not in (
        "OCRGATE_SHARED", "OCRGATE_TEST_POSTGRES", "OCRGATE_TEST_REDIS", "OCRGATE_TEST_RABBITMQ",
        "OCRGATE_UPDATE_SCREENSHOTS")]:
    del os.environ[_variable]  # the suite runs on the embedded defaults, whatever the caller's shell says

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OCRGATE_SHARED", REPO.parent / "shared"))
BENCHMARKS = SHARED / "benchmarks"


@pytest.fixture(scope="session")
def benchmarks_dir() -> Path:
    if not (BENCHMARKS / "dev" / "manifest.jsonl").exists():
        pytest.skip(f"benchmark data not found at {BENCHMARKS} (set OCRGATE_SHARED)")
    return BENCHMARKS


def smallest_pages(source: Path, categories: tuple[str, ...], folder: Path) -> Path:
    """A page set in `folder` holding a copy of the smallest page of each category of the set at
    `source` (the shared data stays read-only)."""
    records = [json.loads(line) for line in (source / "manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    picked = [
        min((r for r in records if r["category"] == c), key=lambda r: r["width"] * r["height"]) for c in categories
    ]
    (folder / "images").mkdir()
    for record in picked:
        shutil.copyfile(source / record["image"], folder / record["image"])
    (folder / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in picked), encoding="utf-8")
    return folder


def render_text(lines: list[str], size: int = 40, margin: int = 30, spacing: int = 20) -> Image.Image:
    """A white page with `lines` in black, in Pillow's built-in scalable font."""
    font = ImageFont.load_default(size=size)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    widths = [probe.textbbox((0, 0), line, font=font)[2] for line in lines]
    height = margin * 2 + len(lines) * (size + spacing)
    image = Image.new("L", (max(widths) + margin * 2, height), 255)
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((margin, margin + i * (size + spacing)), line, fill=0, font=font)
    return image


@pytest.fixture
def text_page() -> Image.Image:
    return render_text(["Hello world from ocrgate", "The quick brown fox 12.50"])


@pytest.fixture
def text_page_png(tmp_path: Path, text_page: Image.Image) -> Path:
    path = tmp_path / "page.png"
    text_page.save(path)
    return path


@pytest.fixture
def blank_array() -> np.ndarray:
    return np.full((50, 80), 255, dtype=np.uint8)


def turned_about_centre(pixels: np.ndarray, degrees: float) -> np.ndarray:
    """`pixels` turned counter-clockwise about its centre on a canvas of the same size, white filled."""
    import cv2

    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return cv2.warpAffine(pixels, matrix, (width, height), flags=cv2.INTER_CUBIC, borderValue=255)


def assert_words_in_the_same_places(as_is, levelled, min_length: int, min_matched: int, tolerance: float) -> None:
    """Each word (at least `min_length` characters) read once in each of two pages' readings has its
    box centre within `tolerance` pixels in both; at least `min_matched` such words."""
    texts = [w.text for w in [*as_is.words, *levelled.words]]
    once = {text for text in texts if texts.count(text) == 2 and len(text) >= min_length}  # once in each read
    boxes = {w.text: w.bbox for w in as_is.words if w.text in once}
    matched = [(w.bbox, boxes[w.text]) for w in levelled.words if w.text in boxes]
    assert len(matched) >= min_matched, texts
    for mine, theirs in matched:
        assert abs((mine.x0 + mine.x1) - (theirs.x0 + theirs.x1)) / 2 <= tolerance, (mine, theirs)
        assert abs((mine.y0 + mine.y1) - (theirs.y0 + theirs.y1)) / 2 <= tolerance, (mine, theirs)
