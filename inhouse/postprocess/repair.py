"""Repairs of readings whose letters have the same shape in two forms, judged by the lexicon.

`s`/`S`, `o`/`O`, `c`/`C` (and a few more) differ only in size, so the recognizer sometimes reads
the capital inside a lower-case word ("iS", "crOsS"); a `1` or `0` inside a word of letters is an
`i`, `l` or `o` ("S1g-", "1S"). Only a change that turns an unknown or oddly cased reading into a
lexicon word is made. A citation bracket closed by the wrong kind ("[8)") is closed by its own.
"""

from __future__ import annotations

from inhouse.postprocess.lexicon import Lexicon, core

#: capitals whose lower-case form is the same shape, only smaller
SAME_SHAPE_CAPITALS = frozenset("CKOPSUVWXZ")
#: digits that stand for letters inside a word
DIGIT_LETTERS = {"1": "il", "0": "o"}
#: a digit is read as a letter only in words this long ("x1", "a1" are subscripts)…
MIN_DIGIT_WORD = 3
#: …and only where the word it makes is at least this frequent
MIN_DIGIT_WORD_FREQUENCY = 1e-6
_CLOSERS = {"[": "]", "(": ")"}


def _lower_inner_capitals(word: str) -> str:
    """Lower-case same-shape capitals that follow a lower-case letter ("iS" → "is")."""
    out, seen_lower = [], False
    for ch in word:
        if ch in SAME_SHAPE_CAPITALS and seen_lower:
            ch = ch.lower()
        seen_lower = seen_lower or ch.islower()
        out.append(ch)
    return "".join(out)


def _digit_as_letter(word: str, lexicon: Lexicon) -> str:
    """A word of letters with one 1 or 0 in it, read as the letter that makes a known word; two
    characters are enough when the other is a same-shape capital ("1S": "is" read large)."""
    letters = core(word)
    digits = [i for i, ch in enumerate(letters) if ch.isdigit()]
    if len(digits) != 1 or letters[digits[0]] not in DIGIT_LETTERS:
        return word
    if len(letters) < MIN_DIGIT_WORD and not (len(letters) == 2 and set(letters) - set("10") <= SAME_SHAPE_CAPITALS):
        return word
    if not all(ch.isalpha() for i, ch in enumerate(letters) if i != digits[0]):
        return word
    k = digits[0]
    for letter in DIGIT_LETTERS[letters[k]]:
        candidate = _lower_inner_capitals(letters[:k] + letter + letters[k + 1 :])
        if lexicon.frequency(candidate) >= MIN_DIGIT_WORD_FREQUENCY:
            return word.replace(letters, candidate, 1)
    return word


def close_brackets(word: str) -> str:
    """A bracket closed inside the word by the other kind gets its own closer ("[8)," → "[8],")."""
    out, open_ = [], []
    for ch in word:
        if ch in _CLOSERS:
            open_.append(ch)
        elif ch in ")]" and open_:
            ch = _CLOSERS[open_.pop()]
        out.append(ch)
    return "".join(out)


def repair(word: str, lexicon: Lexicon) -> str:
    """The reading with same-shape letters and mismatched brackets set right, where the lexicon agrees."""
    word = close_brackets(word)
    letters = core(word)
    if not letters:
        return word
    if lexicon.known(letters):
        fixed = _lower_inner_capitals(letters)
        return word.replace(letters, fixed, 1) if fixed != letters else word
    return _digit_as_letter(word, lexicon)
