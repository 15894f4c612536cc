"""Single Word Accuracy and character error rate, with the benchmark's case folding."""
from __future__ import annotations

from evaluation.metrics import char_counts
from inhouse.recognizer.charset import normalize_text
from inhouse.recognizer.realcrops import fold_case


def word_correct(pred: str, truth: str, category: str) -> bool:
    return fold_case(normalize_text(pred), category) == fold_case(normalize_text(truth), category)


def cer(pred: str, truth: str, category: str) -> tuple[int, int]:
    """(edits, reference length) so corpus CER = sum of edits / sum of lengths."""
    p, t = fold_case(normalize_text(pred), category), fold_case(normalize_text(truth), category)
    return char_counts(t, p).errors, max(1, len(t))  # the evaluation's one edit-distance definition
