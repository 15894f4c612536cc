"""Text and detection metrics, each on already-normalised text (see `evaluation.normalize`).

Error rates are kept as (errors, reference length) counts so that a set's figure is the
micro-average over all characters/words (long pages weigh more), and so the bootstrap can
resample pages. An empty reference scores 0 errors per 0 characters when the hypothesis is
empty too, and one error per inserted character otherwise.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

import jiwer
import numpy as np
from rapidfuzz.distance import Levenshtein

from engines.result import BBox

#: the IoU at which a detected word box matches a ground-truth word box
DETECTION_IOU = 0.5
CHAR_CLASSES = ("letters", "digits", "punctuation", "symbols", "other")


@dataclass(frozen=True)
class Counts:
    """Edit operations against a reference of `reference_length` units."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    reference_length: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        if self.reference_length == 0:
            return 0.0 if self.errors == 0 else 1.0
        return self.errors / self.reference_length

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.reference_length + other.reference_length,
        )


def char_counts(reference: str, hypothesis: str) -> Counts:
    """Character edits (jiwer), reference length in Unicode code points."""
    if not reference:
        return Counts(insertions=len(hypothesis))
    if not hypothesis:
        return Counts(deletions=len(reference), reference_length=len(reference))
    out = jiwer.process_characters(reference, hypothesis)
    return Counts(out.substitutions, out.deletions, out.insertions, len(reference))


def word_counts(reference: str, hypothesis: str) -> Counts:
    """Word edits (jiwer) with words split on single spaces of normalised text."""
    ref_words = reference.split(" ") if reference else []
    if not ref_words:
        return Counts(insertions=len(hypothesis.split(" ")) if hypothesis else 0)
    if not hypothesis:
        return Counts(deletions=len(ref_words), reference_length=len(ref_words))
    out = jiwer.process_words(reference, hypothesis)
    return Counts(out.substitutions, out.deletions, out.insertions, len(ref_words))


def bag_of_words_recall(reference_words: list[str], hypothesis_words: list[str]) -> tuple[int, int]:
    """(reference words found in the hypothesis, reference words), order ignored, multiset."""
    found = Counter(reference_words) & Counter(hypothesis_words)
    return sum(found.values()), len(reference_words)


def char_class(ch: str) -> str:
    if ch.isalpha():
        return "letters"
    if ch.isdigit():
        return "digits"
    category = unicodedata.category(ch)
    if category.startswith("P"):
        return "punctuation"
    if category.startswith("S"):
        return "symbols"
    return "other"


def char_class_hits(reference: str, hypothesis: str) -> dict[str, tuple[int, int]]:
    """Per character class: (reference characters reproduced in the alignment, reference characters)."""
    totals: Counter[str] = Counter(char_class(ch) for ch in reference if not ch.isspace())
    hits: Counter[str] = Counter()
    for op in Levenshtein.opcodes(reference, hypothesis):
        if op.tag == "equal":
            hits.update(char_class(ch) for ch in reference[op.src_start : op.src_end] if not ch.isspace())
    return {cls: (hits[cls], totals[cls]) for cls in totals}


def intersection_matrix(a: list[BBox], b: list[BBox]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairwise intersection areas (len(a), len(b)), and the areas of `a` (column) and `b` (row)."""
    A = np.array([x.as_list() for x in a], dtype=np.float64).reshape(-1, 4)[:, None, :]
    B = np.array([x.as_list() for x in b], dtype=np.float64).reshape(-1, 4)[None, :, :]
    iw = np.clip(np.minimum(A[..., 2], B[..., 2]) - np.maximum(A[..., 0], B[..., 0]), 0, None)
    ih = np.clip(np.minimum(A[..., 3], B[..., 3]) - np.maximum(A[..., 1], B[..., 1]), 0, None)
    area_a = (A[..., 2] - A[..., 0]) * (A[..., 3] - A[..., 1])
    area_b = (B[..., 2] - B[..., 0]) * (B[..., 3] - B[..., 1])
    return iw * ih, area_a, area_b


def iou_matrix(a: list[BBox], b: list[BBox]) -> np.ndarray:
    if not a or not b:
        return np.zeros((len(a), len(b)))
    inter, area_a, area_b = intersection_matrix(a, b)
    union = area_a + area_b - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def match_boxes(truth: list[BBox], detected: list[BBox], threshold: float = DETECTION_IOU) -> int:
    """Greedy one-to-one matching by descending IoU; returns the number of matches ≥ threshold."""
    ious = iou_matrix(truth, detected)
    if ious.size == 0:
        return 0
    pairs = np.argwhere(ious >= threshold)
    order = np.argsort(-ious[pairs[:, 0], pairs[:, 1]], kind="stable")
    used_t, used_d, matched = set(), set(), 0
    for t, d in pairs[order]:
        if t not in used_t and d not in used_d:
            used_t.add(t)
            used_d.add(d)
            matched += 1
    return matched


@dataclass(frozen=True)
class DetectionCounts:
    matched: int
    detected: int
    truth: int

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else (1.0 if not self.truth else 0.0)

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 1.0


def f1_score(precision: float, recall: float) -> float:
    """The harmonic mean of precision and recall (0 when both are 0)."""
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def detection_counts(truth: list[BBox], detected: list[BBox], threshold: float = DETECTION_IOU) -> DetectionCounts:
    return DetectionCounts(match_boxes(truth, detected, threshold), len(detected), len(truth))
