"""Score one engine's result on one benchmark record.

The headline page metric is the **position-aligned CER**: each recognised word is assigned
to the ground-truth line its box overlaps most (the line's outline where the set records one: on a
rotated or curved photo a line's box takes in much of its neighbours, and a perfect reader's words
would land on the wrong lines); a line's words are read left to right and
compared with the line's text; words overlapping no line count as insertions; words lying
mostly inside an `ignore_regions` box are skipped. A different but valid reading order (two
columns read one after the other) therefore costs nothing, while misread, missing and
invented text all do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engines.result import BBox, OcrResult, Word
from evaluation.dataset import BenchmarkRecord, TextBox
from evaluation.metrics import (
    Counts,
    DetectionCounts,
    bag_of_words_recall,
    char_class_hits,
    char_counts,
    detection_counts,
    word_counts,
)
from evaluation.normalize import normalize, words
from evaluation.polygons import area_inside

#: how read words meet the truth lines, recorded in every results.json (`run.alignment`)
ALIGNMENT = "each word to the truth line its box overlaps most, on the line's outline where the set has one"
#: a word is ignored when at least this share of its box lies in an ignore region
IGNORE_OVERLAP = 0.5


@dataclass
class PageScore:
    aligned: Counts
    cer: Counts
    wer: Counts
    bow_hits: int
    bow_total: int
    char_classes: dict[str, tuple[int, int]]
    detection: DetectionCounts
    line_pairs: list[tuple[str, str]] = field(default_factory=list)  # (truth, read) per line, for diffs


@dataclass
class WordScore:
    exact: bool
    cer: Counts
    truth: str
    read: str


def _ignored(box: BBox, regions: list[BBox]) -> bool:
    area = box.area
    return bool(area) and any(box.intersection_area(r) >= IGNORE_OVERLAP * area for r in regions)


def kept_words(result: OcrResult | None, ignore_regions: list[BBox]) -> list[list[Word]]:
    """The result's lines (reading order) without words in ignore regions; [] for a failed run."""
    if result is None:
        return []
    lines = []
    for page in result.pages:
        for line in page.lines:
            kept = [w for w in line.words if w.text.strip() and not _ignored(w.bbox, ignore_regions)]
            if kept:
                lines.append(kept)
    return lines


def line_overlap(line: TextBox, box: BBox) -> float:
    """The area of `box` on the truth line: on its outline if it has one, else on its box."""
    area = line.bbox.intersection_area(box)  # the outline lies inside the box: 0 here is 0 there
    return area_inside(line.polygon, box) if area and line.polygon else float(area)


def assign_to_lines(truth_lines: list[TextBox], read_words: list[Word]) -> tuple[list[list[Word]], list[Word]]:
    """Each word to the truth line its box overlaps most; returns (words per line, unassigned)."""
    per_line: list[list[Word]] = [[] for _ in truth_lines]
    unassigned = []
    for word in read_words:
        overlaps = [line_overlap(line, word.bbox) for line in truth_lines]
        best = max(range(len(overlaps)), key=overlaps.__getitem__) if overlaps else None
        if best is None or overlaps[best] == 0:
            unassigned.append(word)
        else:
            per_line[best].append(word)
    return per_line, unassigned


def aligned_counts(
    truth_lines: list[TextBox], read_words: list[Word], fold_case: bool
) -> tuple[Counts, list[tuple[str, str]]]:
    per_line, unassigned = assign_to_lines(truth_lines, read_words)
    total = Counts()
    pairs = []
    for line, assigned in zip(truth_lines, per_line, strict=True):
        truth = normalize(line.text, fold_case)
        read = normalize(" ".join(w.text for w in sorted(assigned, key=lambda w: w.bbox.x0)), fold_case)
        total += char_counts(truth, read)
        pairs.append((truth, read))
    for word in unassigned:
        extra = normalize(word.text, fold_case)
        total += Counts(insertions=len(extra))
        pairs.append(("", extra))
    return total, pairs


def truth_word_boxes(segments: list[TextBox]) -> list[BBox]:
    """Ground-truth word boxes: each segment split at spaces, x-extent in proportion to characters.

    Exact for single-token segments (FUNSD words, DocBank tokens); an approximation for
    SROIE's phrase boxes.
    """
    boxes = []
    for segment in segments:
        text = segment.text
        if not text.strip():
            continue
        box, n = segment.bbox, len(text)
        start = 0
        for token in text.split(" "):
            if token:
                x0 = box.x0 + round(box.width * start / n)
                x1 = box.x0 + round(box.width * (start + len(token)) / n)
                boxes.append(BBox(x0, box.y0, max(x1, x0 + 1), box.y1))
            start += len(token) + 1
    return boxes


def score_page(record: BenchmarkRecord, result: OcrResult | None, fold_case: bool) -> PageScore:
    lines = kept_words(result, record.ignore_regions)
    read_words = [w for line in lines for w in line]
    read_text = normalize("\n".join(" ".join(w.text for w in line) for line in lines), fold_case)
    truth_text = normalize(record.text, fold_case)
    aligned, pairs = aligned_counts(record.lines, read_words, fold_case)
    bow_hits, bow_total = bag_of_words_recall(words(record.text, fold_case), read_text.split(" ") if read_text else [])
    return PageScore(
        aligned=aligned,
        cer=char_counts(truth_text, read_text),
        wer=word_counts(truth_text, read_text),
        bow_hits=bow_hits,
        bow_total=bow_total,
        char_classes=char_class_hits(truth_text, read_text),
        detection=detection_counts(truth_word_boxes(record.segments), [w.bbox for w in read_words]),
        line_pairs=pairs,
    )


def score_word(record: BenchmarkRecord, result: OcrResult | None, fold_case: bool) -> WordScore:
    truth = normalize(record.text, fold_case)
    read = normalize(result.text, fold_case) if result is not None else ""
    return WordScore(exact=truth == read, cer=char_counts(truth, read), truth=truth, read=read)
