"""The lexicon: English words by frequency (from wordfreq's offline data) plus the token shapes
receipts and forms are full of (numbers, prices, dates, times, codes), which no dictionary has."""

from __future__ import annotations

import functools
import re
import string

LEXICON_SIZE = 80_000
_PATTERNS = re.compile(
    r"^(?:[-+]?[\d.,]+%?"  # numbers, prices, percentages
    r"|[A-Z]{1,4}[\d.,]+"  # RM12.60, $2.70 after stripping
    r"|\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}"  # dates
    r"|\d{1,2}:\d{2}(?::\d{2})?(?:[AaPp][Mm])?"  # times
    r"|[A-Z0-9]{2,}[-/][A-Z0-9-/]+"  # codes and ids
    r"|[\w.+-]+@[\w-]+\.[\w.]+"  # e-mail
    r"|(?:https?://|www\.)\S+)$"
)
_EDGE_PUNCTUATION = string.punctuation.replace("%", "")


def core(token: str) -> str:
    """The token without the punctuation that clings to words (quotes, brackets, commas, colons)."""
    return token.strip(_EDGE_PUNCTUATION + "“”‘’")


class Lexicon:
    def __init__(self, words: dict[str, float]):
        self.words = words

    @classmethod
    @functools.lru_cache(maxsize=1)
    def english(cls) -> Lexicon:
        from wordfreq import top_n_list, word_frequency

        return cls({w: word_frequency(w, "en") for w in top_n_list("en", LEXICON_SIZE) if w.isalpha()})

    def frequency(self, token: str) -> float:
        """How common the token is (0 when unknown); shapes like prices count as known."""
        word = core(token)
        if not word:
            return 0.0
        if _PATTERNS.match(word) or _PATTERNS.match(token):
            return 1e-4
        return self.words.get(word.lower(), 0.0)

    def known(self, token: str) -> bool:
        return self.frequency(token) > 0
