"""The one result model every engine returns: document → pages → blocks → lines → words.

Coordinates are integer pixels of the page image *as the engine read it*: after EXIF
orientation and after the engine's own `rotation` (degrees clockwise applied to make
the page upright). `Page.width/height` describe that upright image; `Page.source_width`
and `source_height` the image as it was handed in, so a consumer (the PDF layer) can
map boxes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

RESULT_SCHEMA_VERSION = 1


@dataclass(frozen=True)
class BBox:
    """An axis-aligned box, x0/y0 inclusive top-left, x1/y1 exclusive bottom-right."""

    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    @property
    def area(self) -> int:
        return max(0, self.width) * max(0, self.height)

    def as_list(self) -> list[int]:
        return [self.x0, self.y0, self.x1, self.y1]

    @classmethod
    def union(cls, boxes: list[BBox]) -> BBox:
        if not boxes:
            return cls(0, 0, 0, 0)
        return cls(
            min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes)
        )

    def intersection_area(self, other: BBox) -> int:
        w = min(self.x1, other.x1) - max(self.x0, other.x0)
        h = min(self.y1, other.y1) - max(self.y0, other.y0)
        return max(0, w) * max(0, h)

    def iou(self, other: BBox) -> float:
        inter = self.intersection_area(other)
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0


@dataclass
class Word:
    text: str
    bbox: BBox
    confidence: float  # calibrated probability that `text` is exactly right, in [0, 1]


@dataclass
class Line:
    words: list[Word]
    bbox: BBox | None = None

    def __post_init__(self) -> None:
        if self.bbox is None:
            self.bbox = BBox.union([w.bbox for w in self.words])

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words if w.text)


@dataclass
class Block:
    lines: list[Line]
    bbox: BBox | None = None

    def __post_init__(self) -> None:
        if self.bbox is None:
            self.bbox = BBox.union([line.bbox for line in self.lines if line.bbox])

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines if line.text)


@dataclass
class Page:
    width: int
    height: int
    blocks: list[Block] = field(default_factory=list)
    rotation: int = 0  # degrees clockwise the engine applied before reading
    source_width: int | None = None
    source_height: int | None = None
    dpi: float | None = None

    def __post_init__(self) -> None:
        if self.source_width is None:
            self.source_width = self.height if self.rotation in (90, 270) else self.width
        if self.source_height is None:
            self.source_height = self.width if self.rotation in (90, 270) else self.height

    @property
    def lines(self) -> Iterator[Line]:
        for block in self.blocks:
            yield from block.lines

    @property
    def words(self) -> Iterator[Word]:
        for line in self.lines:
            yield from line.words

    @property
    def text(self) -> str:
        """The page text in reading order: blocks separated by a blank line, lines by newlines."""
        return "\n\n".join(block.text for block in self.blocks if block.text)


@dataclass
class OcrResult:
    engine: str
    engine_version: str
    pages: list[Page]
    elapsed_seconds: float = 0.0
    mode: str = "page"
    source: str = "<array>"

    @property
    def text(self) -> str:
        return "\f".join(page.text for page in self.pages)

    @property
    def words(self) -> Iterator[Word]:
        for page in self.pages:
            yield from page.words

    def mean_confidence(self) -> float | None:
        confidences = [w.confidence for w in self.words]
        return sum(confidences) / len(confidences) if confidences else None

    # --- JSON round trip -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["schema_version"] = RESULT_SCHEMA_VERSION
        data["text"] = self.text
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OcrResult:
        def box(raw: dict | list) -> BBox:
            return BBox(**raw) if isinstance(raw, dict) else BBox(*raw)

        pages = []
        for raw_page in data["pages"]:
            blocks = []
            for raw_block in raw_page["blocks"]:
                lines = [
                    Line(
                        words=[Word(w["text"], box(w["bbox"]), float(w["confidence"])) for w in raw_line["words"]],
                        bbox=box(raw_line["bbox"]) if raw_line.get("bbox") else None,
                    )
                    for raw_line in raw_block["lines"]
                ]
                blocks.append(Block(lines=lines, bbox=box(raw_block["bbox"]) if raw_block.get("bbox") else None))
            pages.append(
                Page(
                    width=raw_page["width"],
                    height=raw_page["height"],
                    blocks=blocks,
                    rotation=raw_page.get("rotation", 0),
                    source_width=raw_page.get("source_width"),
                    source_height=raw_page.get("source_height"),
                    dpi=raw_page.get("dpi"),
                )
            )
        return cls(
            engine=data["engine"],
            engine_version=data["engine_version"],
            pages=pages,
            elapsed_seconds=float(data.get("elapsed_seconds", 0.0)),
            mode=data.get("mode", "page"),
            source=data.get("source", "<array>"),
        )
