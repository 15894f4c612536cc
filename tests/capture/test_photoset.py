"""Photo sets: built from a few real dev pages, they rebuild byte for byte, change with the seed,
load and check as benchmark sets, and the CLI refuses bad input without leaving a partial folder."""

from __future__ import annotations

import dataclasses
import functools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from capture.geometry import map_boxes
from capture.params import SIMULATOR_VERSION, CaptureParams, draw_params
from capture.photometric import degrade_crop
from capture.photoset import MARKER, build_photo_set, captures
from evaluation import labnotebook
from evaluation.dataset import load_set
from evaluation.perfect import perfect_reading
from evaluation.scoring import score_page
from ocrgate.cli import main
from tests.conftest import smallest_pages

CATEGORIES = ("register_tapes", "scanned_docs", "screenshots")


@pytest.fixture(scope="module")
def small_set(benchmarks_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The smallest dev page of each category, copied (the shared data stays read-only)."""
    return smallest_pages(benchmarks_dir / "dev", CATEGORIES, tmp_path_factory.mktemp("pages"))


@pytest.fixture(scope="module")
def built(small_set: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("photos") / "photos-seed0"
    notebook = out.parent / "lab.jsonl"
    return out, build_photo_set(small_set, out, seed=0, notebook=notebook)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_photo_set_is_a_valid_benchmark_set_paired_with_its_source(small_set: Path, built: tuple[Path, dict]):
    out, info = built
    source, photos = load_set(small_set), load_set(out)
    assert [r.id for r in photos.records] == [r.id for r in source.records]
    assert photos.categories == [f"photos_{c}" for c in CATEGORIES]
    assert info["sha256"] == photos.content_hash and info["pages"] == 3
    for raw in map(json.loads, (out / "manifest.jsonl").read_text(encoding="utf-8").splitlines()):
        image = cv2.imread(str(out / raw["image"]), cv2.IMREAD_UNCHANGED)
        assert raw["image"].endswith(".jpg") and image.shape[:2] == (raw["height"], raw["width"])
        assert 1600 <= max(raw["width"], raw["height"]) <= 3000
        assert raw["category"] == f"photos_{raw['source_category']}" and raw["source_set"] == source.content_hash
        assert raw["capture"]["version"] == SIMULATOR_VERSION and raw["capture"]["seed"] == 0
        assert CaptureParams.from_dict(raw["capture"]["params"]) == draw_params(raw["id"], 0)
        for item in raw["lines"] + raw["segments"]:
            x0, y0, x1, y1 = item["bbox"]
            assert 0 <= x0 <= x1 < raw["width"] and 0 <= y0 <= y1 < raw["height"]
        assert raw["text"] == "\n".join(line["text"] for line in raw["lines"])
    assert main(["sets", "check", str(out)]) == 0


def test_a_perfect_reader_scores_on_a_photo_as_on_its_clean_page(small_set: Path, built: tuple[Path, dict]):
    # each line's outline on the photo lies in its mapped box, and scoring on outlines assigns a
    # perfect reader's words as on the clean page (on boxes alone, a sloping line's box takes in
    # its neighbours' words: tests/evaluation/test_polygons.py)
    out, _ = built
    taken = captures(out)
    assert captures(small_set) == {}  # a page set has no captures
    for photo in load_set(out).records:
        for line in photo.lines:
            xs, ys = [x for x, _ in line.polygon], [y for _, y in line.polygon]
            b = line.bbox
            assert b.x0 - 1 <= min(xs) and max(xs) <= b.x1 + 1 and b.y0 - 1 <= min(ys) and max(ys) <= b.y1 + 1
        source, step = taken[photo.id].source, taken[photo.id].geometry
        # the geometry rebuilt from the recorded parameters maps the source's boxes to the photo's
        mapped = map_boxes([line.bbox.as_list() for line in source.lines], step)
        assert mapped.tolist() == [line.bbox.as_list() for line in photo.lines], photo.id
        rates = [
            score_page(record, reading, fold_case=True).aligned.rate
            for record, reading in (
                (source, perfect_reading(source)),
                (photo, perfect_reading(source, functools.partial(map_boxes, step=step), step.dst_size)),
            )
        ]
        assert rates[1] <= rates[0] + 0.005, photo.id


def test_the_build_is_recorded_in_the_lab_notebook(built: tuple[Path, dict]):
    out, info = built
    entry = labnotebook.get(info["notebook_id"], out.parent / "lab.jsonl")
    assert entry["kind"] == "photoset" and entry["seed"] == 0 and entry["simulator_version"] == SIMULATOR_VERSION
    assert entry["sha256"] == info["sha256"] and entry["pages"] == 3 and entry["out"] == str(out.resolve())


def test_the_cli_rebuilds_the_set_byte_for_byte(
    small_set: Path,
    built: tuple[Path, dict],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture,
):
    monkeypatch.setenv("OCRGATE_LAB_NOTEBOOK", str(tmp_path / "lab.jsonl"))
    out = tmp_path / "again"
    assert main(["sets", "photos", str(small_set), "--out", str(out), "--seed", "0"]) == 0
    line = capsys.readouterr().out.strip()
    assert "\n" not in line and "3 pages" in line and built[1]["sha256"] in line
    assert files(out) == files(built[0])
    # a second build replaces the earlier photo set in place, identically
    assert main(["sets", "photos", str(small_set), "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sha256"] == built[1]["sha256"]
    assert files(out) == files(built[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "lab.jsonl"]  # nothing left beside it


def test_another_seed_gives_other_photos(small_set: Path, built: tuple[Path, dict], tmp_path: Path):
    other = build_photo_set(small_set, tmp_path / "seed1", seed=1, notebook=tmp_path / "lab.jsonl")
    assert other["sha256"] != built[1]["sha256"]
    for name, data in files(built[0]).items():
        if name.startswith("images/"):
            assert (tmp_path / "seed1" / name).read_bytes() != data


def test_params_are_a_pure_function_of_seed_and_page_id():
    first = draw_params("sroie_476", 0)
    assert draw_params("sroie_476", 0) == first
    assert draw_params("sroie_477", 0) != first and draw_params("sroie_476", 1) != first
    assert CaptureParams.from_dict(json.loads(json.dumps(dataclasses.asdict(first)))) == first
    many = [draw_params(f"page_{i}", 3) for i in range(200)]
    assert all(1600 <= p.out_long_side <= 3000 and abs(p.rotation_deg) <= 2 for p in many)
    assert all(60 <= p.jpeg_quality <= 92 and max(map(abs, p.corner_jitter)) <= 0.03 for p in many)
    assert 0.3 < sum(p.shadow_edge >= 0 for p in many) / len(many) < 0.7


def test_the_cli_refuses_a_missing_source(tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "photos"
    assert main(["sets", "photos", str(tmp_path / "missing"), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "missing" in error
    assert not out.exists()


def test_the_cli_refuses_an_unrelated_non_empty_out_dir(small_set: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    assert main(["sets", "photos", str(small_set), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "not empty" in error
    assert files(out) == {"notes.txt": b"keep me"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


def test_the_cli_refuses_a_set_that_is_not_a_page_set(tmp_path: Path, capsys: pytest.CaptureFixture):
    source = tmp_path / "words"
    (source / "images").mkdir(parents=True)
    cv2.imwrite(str(source / "images" / "w.png"), np.full((20, 40), 255, np.uint8))
    record = {"id": "w", "image": "images/w.png", "category": "x", "text": "w", "level": "word"}
    (source / "manifest.jsonl").write_text(json.dumps(record) + "\n")
    assert main(["sets", "photos", str(source), "--out", str(tmp_path / "out")]) == 2
    assert "word set" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() and not list(tmp_path.glob(".out*"))


def test_degrade_crop_keeps_the_crop_shape_and_is_reproducible():
    crop = np.full((40, 120), 250, np.uint8)
    cv2.putText(crop, "Total", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 0, 2, cv2.LINE_AA)
    first = degrade_crop(crop, np.random.default_rng(7))
    assert first.shape == crop.shape and first.dtype == np.uint8
    assert np.array_equal(first, degrade_crop(crop, np.random.default_rng(7)))
    assert not np.array_equal(first, crop)
    colour = degrade_crop(cv2.cvtColor(crop, cv2.COLOR_GRAY2RGB), np.random.default_rng(8))
    assert colour.shape == (40, 120, 3)
    # the word stays readable: its ink is still much darker than its paper
    assert float(np.median(first[crop > 128])) - float(np.median(first[crop < 64])) > 60


def test_the_marker_names_the_set(built: tuple[Path, dict]):
    marker = json.loads((built[0] / MARKER).read_text())
    assert marker["kind"] == "ocrgate photo set" and marker["sha256"] == built[1]["sha256"]
