"""What names and labels that people type may hold: one rule for each kind, used for gate names,
units, categories and API token names (each caller gives the length of its column).

Browsers, terminals and spreadsheets show text differently from how it is stored: a right-to-left
override (U+202E) makes `evil<U+202E>txt.exe` read as `evilexe.txt`, a zero-width space makes two labels
look the same. So a label is one line of visible text: no control, format (bidirectional, zero-width),
surrogate, private-use or unassigned characters, and no separator but the plain space.
"""

from __future__ import annotations

import unicodedata

from kernel.errors import OcrInputError
from kernel.settings import shown

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"})
_NAME_PUNCTUATION = frozenset("-_.")


def identifier(raw: str, what: str, limit: int) -> str:
    """`raw` as a name that also goes into URLs: 1-`limit` ASCII letters, digits, '-', '_' or '.'."""
    if not 1 <= len(raw) <= limit or not all(c.isascii() and (c.isalnum() or c in _NAME_PUNCTUATION) for c in raw):
        raise OcrInputError(f"{what} must be 1-{limit} ASCII letters, digits, '-', '_' or '.', got {shown(raw)}")
    return raw


def text_label(raw: str, what: str, limit: int) -> str:
    """`raw` without its surrounding spaces, as one line of visible text of 1-`limit` characters."""
    value = raw.strip(" ")
    if not 1 <= len(value) <= limit or any(c != " " and unicodedata.category(c) in _REFUSED_CATEGORIES for c in value):
        raise OcrInputError(
            f"{what} must be 1-{limit} characters of visible text on one line (no control, format or "
            f"separator characters but the space), got {shown(raw)}"
        )
    return value
