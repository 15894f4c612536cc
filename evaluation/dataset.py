"""Donated benchmark sets: load a set folder, validate every record, say clearly what is wrong.

A set folder holds `manifest.jsonl` (one JSON object per line) and the images it names;
the format is described in docs/benchmark-format.md. Page sets have `lines` with boxes;
word sets have `"level": "word"` and one crop per record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engines.result import BBox
from evaluation.normalize import uppercase_categories
from kernel.errors import OcrInputError

Level = Literal["page", "word"]
MAX_REPORTED_PROBLEMS = 20


class BenchmarkSetError(OcrInputError):
    """A benchmark set that cannot be used, with every problem found (up to a limit)."""

    def __init__(self, root: Path, problems: list[str]):
        shown = problems[:MAX_REPORTED_PROBLEMS]
        more = f"\n  … and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        super().__init__(f"benchmark set {root} is invalid:\n  " + "\n  ".join(shown) + more)
        self.problems = problems


@dataclass(frozen=True)
class TextBox:
    bbox: BBox
    text: str
    # the box's true outline where the box is only its bounds (a line on a rotated or curved photo)
    polygon: tuple[tuple[float, float], ...] | None = None


@dataclass
class BenchmarkRecord:
    id: str
    image: Path
    category: str
    level: Level
    text: str
    width: int | None = None
    height: int | None = None
    lines: list[TextBox] = field(default_factory=list)
    segments: list[TextBox] = field(default_factory=list)
    ignore_regions: list[BBox] = field(default_factory=list)
    page: str | None = None


@dataclass
class BenchmarkSet:
    name: str
    root: Path
    level: Level
    records: list[BenchmarkRecord]
    content_hash: str

    @property
    def categories(self) -> list[str]:
        return sorted({r.category for r in self.records})


def _bbox(raw: Any, where: str, problems: list[str]) -> BBox | None:
    if (
        not isinstance(raw, (list, tuple))
        or len(raw) != 4
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in raw)
    ):
        problems.append(f"{where}: bbox must be [x0, y0, x1, y1] numbers, got {raw!r}")
        return None
    x0, y0, x1, y1 = (int(round(v)) for v in raw)
    if x1 < x0 or y1 < y0:
        problems.append(f"{where}: bbox {raw} has x1 < x0 or y1 < y0")
        return None
    return BBox(x0, y0, x1, y1)


def _text_boxes(raw: Any, where: str, problems: list[str]) -> list[TextBox]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.append(f"{where}: must be a list")
        return []
    boxes = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            problems.append(f"{where}[{i}]: needs a 'text' string and a 'bbox'")
            continue
        box = _bbox(item.get("bbox"), f"{where}[{i}]", problems)
        polygon = _polygon(item.get("polygon"), f"{where}[{i}]", problems)
        if box:
            boxes.append(TextBox(box, item["text"], polygon))
    return boxes


def _polygon(raw: Any, where: str, problems: list[str]) -> tuple[tuple[float, float], ...] | None:
    if raw is None:
        return None

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    if (
        not isinstance(raw, list)
        or len(raw) < 3
        or not all(isinstance(p, list) and len(p) == 2 and number(p[0]) and number(p[1]) for p in raw)
    ):
        problems.append(f"{where}: polygon must be a list of at least 3 [x, y] number pairs")
        return None
    return tuple((float(x), float(y)) for x, y in raw)


def _record(raw: Any, where: str, root: Path, problems: list[str]) -> BenchmarkRecord | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: not a JSON object")
        return None
    missing = [k for k in ("id", "image", "category", "text") if not isinstance(raw.get(k), str)]
    if missing:
        problems.append(f"{where}: missing or non-string field(s) {', '.join(missing)}")
        return None
    level = raw.get("level", "page")
    if level not in ("page", "word"):
        problems.append(f"{where}: level must be 'page' or 'word', got {level!r}")
        return None
    image = (root / raw["image"]).resolve()
    if root.resolve() not in image.parents:
        problems.append(f"{where}: image path {raw['image']!r} leaves the set folder")
        return None
    if not image.is_file():
        problems.append(f"{where}: image {raw['image']} does not exist")
        return None
    lines = _text_boxes(raw.get("lines"), f"{where}: lines", problems)
    if level == "page" and not lines and raw["text"].strip():
        problems.append(f"{where}: a page record needs 'lines' with boxes")
    ignore = [
        b
        for i, r in enumerate(raw.get("ignore_regions") or [])
        if (b := _bbox(r, f"{where}: ignore_regions[{i}]", problems))
    ]
    return BenchmarkRecord(
        id=raw["id"],
        image=image,
        category=raw["category"],
        level=level,
        text=raw["text"],
        width=raw.get("width"),
        height=raw.get("height"),
        lines=lines,
        segments=_text_boxes(raw.get("segments"), f"{where}: segments", problems),
        ignore_regions=ignore,
        page=raw.get("page"),
    )


def content_hash(root: Path, records: list[BenchmarkRecord]) -> str:
    """SHA-256 over the manifest and every image's bytes: names exactly what was scored."""
    digest = hashlib.sha256((root / "manifest.jsonl").read_bytes())
    for record in sorted(records, key=lambda r: r.id):
        digest.update(record.id.encode())
        digest.update(hashlib.sha256(record.image.read_bytes()).digest())
    return digest.hexdigest()


def load_set(path: str | Path, name: str | None = None) -> BenchmarkSet:
    """Load and validate the set at `path`; raise `BenchmarkSetError` listing every problem."""
    root = Path(path)
    manifest = root / "manifest.jsonl"
    if not manifest.is_file():
        raise BenchmarkSetError(root, [f"no manifest.jsonl in {root}"])
    problems: list[str] = []
    records: list[BenchmarkRecord] = []
    seen: set[str] = set()
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"manifest.jsonl:{number}"
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        record = _record(raw, where, root, problems)
        if record is None:
            continue
        if record.id in seen:
            problems.append(f"{where}: duplicate id {record.id!r}")
            continue
        seen.add(record.id)
        records.append(record)
    levels = {r.level for r in records}
    if len(levels) > 1:
        problems.append("a set mixes page and word records; split it into two sets")
    if not records and not problems:
        problems.append("the manifest has no records")
    if problems:
        raise BenchmarkSetError(root, problems)
    return BenchmarkSet(
        name=name or root.name,
        root=root,
        level=records[0].level,
        records=records,
        content_hash=content_hash(root, records),
    )


def sample(set_dirs: Iterable[str | Path], per_category: int) -> Iterator[tuple[str, BenchmarkRecord, bool]]:
    """The first `per_category` records of each category of each set, in manifest order, as
    (set name, record, whether its category's truth is upper case only and is compared case-folded):
    how tuning scripts take a few pages of train and its photos."""
    for folder in set_dirs:
        bench = load_set(folder)
        upper = uppercase_categories((r.category, r.text) for r in bench.records)
        taken: dict[str, int] = {}
        for record in bench.records:
            if taken.get(record.category, 0) < per_category:
                taken[record.category] = taken.get(record.category, 0) + 1
                yield bench.name, record, record.category in upper
