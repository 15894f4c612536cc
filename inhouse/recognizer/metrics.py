"""Single Word Accuracy and character error rate, with the benchmark's case folding."""
from __future__ import annotations

from inhouse.recognizer.charset import normalize_text
from inhouse.recognizer.realcrops import fold_case


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def word_correct(pred: str, truth: str, category: str) -> bool:
    return fold_case(normalize_text(pred), category) == fold_case(normalize_text(truth), category)


def cer(pred: str, truth: str, category: str) -> tuple[int, int]:
    """(edits, reference length) so corpus CER = sum of edits / sum of lengths."""
    p, t = fold_case(normalize_text(pred), category), fold_case(normalize_text(truth), category)
    return edit_distance(p, t), max(1, len(t))
