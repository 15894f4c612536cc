"""The one tokenizer of the index: how page text and queries become terms.

Every back end indexes the terms made here (never its own tokenizer's), so SQLite FTS5, the
portable inverted index and PostgreSQL agree on what a word is: a run of letters and digits
after case folding and removing diacritics (`Café` → `cafe`, `12.50` → `12`, `50`).
"""

from __future__ import annotations

import re
import unicodedata

#: letters and digits (no underscore: FTS5's unicode61 splits on it too)
TOKEN = re.compile(r"[^\W_]+")
_QUERY_TERM = re.compile(r"[^\W_]+\*?")
#: longer tokens are cut (PostgreSQL lexemes are limited to 2 KiB)
MAX_TOKEN_CHARS = 200


def fold(value: str) -> str:
    """Case and diacritics folded."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def tokens(value: str) -> list[str]:
    """The index terms of `value`, in order."""
    return [token[:MAX_TOKEN_CHARS] for token in TOKEN.findall(fold(value))]


def query_terms(query: str) -> list[str]:
    """The query's terms, folded, each once; a term may end in `*` (prefix). Anything else in the
    query (quotes, operators, punctuation) only separates words."""
    seen: dict[str, None] = {}
    for term in _QUERY_TERM.findall(fold(query)):
        word, star = (term[:-1], "*") if term.endswith("*") else (term, "")
        seen.setdefault(word[:MAX_TOKEN_CHARS] + star, None)
    return list(seen)


def is_prefix(term: str) -> bool:
    return term.endswith("*")


def stem(term: str) -> str:
    """The term without its prefix marker."""
    return term.removesuffix("*")


def matches(token: str, term: str) -> bool:
    return token.startswith(stem(term)) if is_prefix(term) else token == term
