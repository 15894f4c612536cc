"""Shared fixtures: where the benchmark data lives, and pages rendered with known text."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

pytest_plugins = ["tests.evaluation_fixtures", "tests.rollout_fixtures", "tests.dashboard_fixtures"]

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OCRGATE_SHARED", REPO.parent / "shared"))
BENCHMARKS = SHARED / "benchmarks"


@pytest.fixture(scope="session")
def benchmarks_dir() -> Path:
    if not (BENCHMARKS / "dev" / "manifest.jsonl").exists():
        pytest.skip(f"benchmark data not found at {BENCHMARKS} (set OCRGATE_SHARED)")
    return BENCHMARKS


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
