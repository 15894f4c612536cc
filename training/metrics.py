"""Single Word Accuracy and character error rate of recognizer crops: the evaluation's own
definitions (`evaluation.normalize.normalize`: NFKC, whitespace, case folded where ground truth is
upper case, which `evaluation.normalize.uppercase_categories` detects from the data and callers
pass on as `fold_case`; `evaluation.metrics.char_counts`), so a recognizer number and an `ocrgate eval` word-set
number mean the same thing. The recognizer's charset mapping (`inhouse.recognizer.charset.
normalize_text`, which also maps `−` to `-`) stays what makes training labels; it is not a metric.
"""

from __future__ import annotations

from evaluation.metrics import char_counts
from evaluation.normalize import normalize


def word_correct(pred: str, truth: str, fold_case: bool) -> bool:
    """The evaluation's exact match of a word crop (`evaluation.scoring.score_word`)."""
    return normalize(pred, fold_case) == normalize(truth, fold_case)


def cer(pred: str, truth: str, fold_case: bool) -> tuple[int, int]:
    """(edits, reference length) so corpus CER = sum of edits / sum of lengths."""
    p, t = normalize(pred, fold_case), normalize(truth, fold_case)
    return char_counts(t, p).errors, max(1, len(t))  # the evaluation's one edit-distance definition
