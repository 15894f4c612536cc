"""The recognizer's character set and label encoding, shared by the generator and the model."""

from __future__ import annotations

import string
import unicodedata

# Printable ASCII (with space, for the occasional multi-word crop) plus the few
# non-ASCII symbols receipts, forms and typeset papers use.
EXTRA_SYMBOLS = "€£°•©–—‘’“”±×"
CHARSET: str = string.ascii_letters + string.digits + string.punctuation + " " + EXTRA_SYMBOLS
CHAR_TO_ID: dict[str, int] = {c: i for i, c in enumerate(CHARSET)}
NUM_CLASSES: int = len(CHARSET) + 1  # + CTC blank
BLANK_ID: int = len(CHARSET)  # blank is the last class


def normalize_text(text: str) -> str:
    """Fold text the way ground truth is compared: NFKC (ligatures -> letters), '−' -> '-'."""
    text = unicodedata.normalize("NFKC", text).replace("\u2212", "-")
    return " ".join(text.split())


def encode(text: str) -> list[int]:
    """Label ids of `text`; raises KeyError on characters outside the charset."""
    return [CHAR_TO_ID[c] for c in text]


def decode(ids: list[int]) -> str:
    return "".join(CHARSET[i] for i in ids if 0 <= i < len(CHARSET))


def in_charset(text: str) -> bool:
    return all(c in CHAR_TO_ID for c in text)
