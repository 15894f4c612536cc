"""Single Word Accuracy and character error rate of recognizer crops: the evaluation's own
definitions (`evaluation.normalize.normalize`: NFKC, whitespace, case folded where ground truth is
upper case; `evaluation.metrics.char_counts`), so a recognizer number and an `ocrgate eval` word-set
number mean the same thing. The recognizer's charset mapping (`inhouse.recognizer.charset.
normalize_text`, which also maps `−` to `-`) stays what makes training labels; it is not a metric.
"""

from __future__ import annotations

from evaluation.metrics import char_counts
from evaluation.normalize import normalize

#: categories whose ground truth is upper case (SROIE), compared case-folded as `ocrgate eval` does
UPPER_CASE_CATEGORIES = ("register_tapes",)


def folds_case(category: str) -> bool:
    return category in UPPER_CASE_CATEGORIES


def word_correct(pred: str, truth: str, category: str) -> bool:
    """The evaluation's exact match of a word crop (`evaluation.scoring.score_word`)."""
    fold = folds_case(category)
    return normalize(pred, fold) == normalize(truth, fold)


def cer(pred: str, truth: str, category: str) -> tuple[int, int]:
    """(edits, reference length) so corpus CER = sum of edits / sum of lengths."""
    fold = folds_case(category)
    p, t = normalize(pred, fold), normalize(truth, fold)
    return char_counts(t, p).errors, max(1, len(t))  # the evaluation's one edit-distance definition
