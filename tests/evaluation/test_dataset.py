"""Benchmark sets load when valid and say exactly what is wrong when not."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from evaluation.dataset import BenchmarkSetError, load_set


def test_tiny_set_loads(tiny_set):
    bench = load_set(tiny_set)
    assert bench.level == "page" and len(bench.records) == 4
    assert bench.categories == ["docs", "receipts"]
    assert len(bench.content_hash) == 64


def test_shared_dev_sets_load(benchmarks_dir):
    assert len(load_set(benchmarks_dir / "dev").records) == 150
    words = load_set(benchmarks_dir / "dev-words")
    assert words.level == "word" and len(words.records) == 1500


def _write(root, rows):
    root.mkdir(exist_ok=True)
    (root / "a.png").write_bytes(b"\x89PNG")
    (root / "manifest.jsonl").write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows))


GOOD = {"id": "a", "image": "a.png", "category": "c", "text": "x", "lines": [{"bbox": [0, 0, 5, 5], "text": "x"}]}


@pytest.mark.parametrize("rows, problem", [
    (["{not json"], "manifest.jsonl:1: not valid JSON"),
    ([{"id": "a", "image": "a.png", "text": "x"}], "missing or non-string field(s) category"),
    ([{**GOOD, "image": "missing.png"}], "image missing.png does not exist"),
    ([{**GOOD, "image": "../../etc/passwd"}], "leaves the set folder"),
    ([{**GOOD, "lines": [{"bbox": [5, 0, 1, 5], "text": "x"}]}], "x1 < x0"),
    ([{**GOOD, "lines": [{"bbox": [0, 0, 5], "text": "x"}]}], "bbox must be"),
    ([{**GOOD, "lines": [{"bbox": [0, 0, 5, 5], "text": "x", "polygon": [[0, 0], [5, 0]]}]}], "polygon must be"),
    ([{**GOOD, "lines": [{"bbox": [0, 0, 5, 5], "text": "x", "polygon": [[0, 0], [5, "a"], [5, 5]]}]}],
     "polygon must be"),
    ([GOOD, GOOD], "manifest.jsonl:2: duplicate id 'a'"),
    ([GOOD, {**GOOD, "id": "b", "level": "word"}], "mixes page and word records"),
    ([{**GOOD, "level": "line"}], "level must be"),
    ([], "no records"),
])
def test_bad_sets_are_explained(tmp_path, rows, problem):
    _write(tmp_path / "set", rows)
    with pytest.raises(BenchmarkSetError) as info:
        load_set(tmp_path / "set")
    assert problem in str(info.value)


def test_missing_manifest(tmp_path):
    with pytest.raises(BenchmarkSetError, match="no manifest.jsonl"):
        load_set(tmp_path)


def test_every_problem_is_listed(tmp_path):
    _write(tmp_path / "set", ["{bad", {**GOOD, "image": "nope.png"}, {"id": "z"}])
    with pytest.raises(BenchmarkSetError) as info:
        load_set(tmp_path / "set")
    assert len(info.value.problems) == 3


def test_sample_takes_the_first_records_of_each_category_of_each_set(tmp_path):
    from evaluation.dataset import sample

    for name, categories in (("one", ["receipts", "receipts", "receipts", "forms"]), ("two", ["forms", "forms"])):
        folder = tmp_path / name
        (folder / "images").mkdir(parents=True)
        lines = []
        for number, category in enumerate(categories):
            Image.new("L", (20, 10), 255).save(folder / "images" / f"{number}.png")
            text = "TOTAL 5" if category == "receipts" else "Name: Ann"
            lines.append(json.dumps({"id": f"{name}{number}", "image": f"images/{number}.png", "category": category,
                                     "text": text, "lines": [{"bbox": [0, 0, 20, 10], "text": text}]}))
        (folder / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    taken = [(set_name, record.id, fold) for set_name, record, fold in sample([tmp_path / "one", tmp_path / "two"], 2)]
    assert taken == [("one", "one0", True), ("one", "one1", True), ("one", "one3", False),
                     ("two", "two0", False), ("two", "two1", False)]
