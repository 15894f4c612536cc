"""Text normalisation applied to ground truth and engine output alike, before any metric.

1. Unicode NFKC: ligatures (`ﬁ` → `fi`), full-width forms and composed/decomposed accents
   compare equal (DocBank keeps ligatures from the PDF text layer).
2. Whitespace: every run of whitespace (spaces, tabs, newlines) becomes one space; ends trimmed.
3. Case: folded (str.casefold) only where a category's ground truth is upper case throughout
   (SROIE register tapes): detected from the data, see `uppercase_categories`.
A *word* is a maximal run of non-space characters after these steps.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_WHITESPACE = re.compile(r"\s+")
#: a category whose ground truth has at most this share of lower-case letters is upper-case annotated
UPPERCASE_SHARE = 0.01


def normalize(text: str, fold_case: bool = False) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _WHITESPACE.sub(" ", text).strip()
    return text.casefold() if fold_case else text


def words(text: str, fold_case: bool = False) -> list[str]:
    normalized = normalize(text, fold_case)
    return normalized.split(" ") if normalized else []


def uppercase_categories(samples: Iterable[tuple[str, str]]) -> set[str]:
    """Categories whose ground-truth letters are (almost) all upper case, from (category, text) pairs."""
    lower: dict[str, int] = {}
    letters: dict[str, int] = {}
    for category, text in samples:
        for ch in text:
            if ch.isalpha():
                letters[category] = letters.get(category, 0) + 1
                if ch.islower():
                    lower[category] = lower.get(category, 0) + 1
    return {c for c, n in letters.items() if n and lower.get(c, 0) / n <= UPPERCASE_SHARE}
