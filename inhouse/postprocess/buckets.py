"""Three confidence buckets: keep confident readings, drop hopeless ones (noise the detector
found), and check the middle band against the lexicon, combining words the detector split
("wo rld" → "world") and splitting words it joined ("helloworld" → "hello world").

A split word can also be read with confidence, piece by piece ("onl" "y", "dime" "nsion", "W"
"e": the gap after a narrow or kerned letter looked like a word gap), so fragments are re-joined
whatever their confidence when they are close, together make a lexicon word, and are not both
words on their own ("in to" stays)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from engines.result import BBox
from inhouse.postprocess.lexicon import Lexicon, core
from inhouse.postprocess.repair import repair

THRESHOLDS_FILE = Path(__file__).resolve().parents[1] / "models" / "postprocess.json"
MIN_SPLIT_PART = 2  # characters; single letters other than "a"/"I" are too easy to fake
WORD_END_PUNCTUATION = ',.;:!?)]"”'
SPLIT_MIN_GAP = 0.12  # × word height: a joined word splits only where its ink has a gap this wide
#: what a vertical rule, a box edge or a table border next to text is read as
STROKE_GLYPHS = frozenset("|[]!Il1")


@dataclass(frozen=True)
class Thresholds:
    low: float = 0.05  # below: dropped as noise
    high: float = 0.80  # at or above: kept as read
    max_join_gap: float = 0.6  # × text height: only words this close may be combined
    max_fragment_gap: float = 0.6  # × text height: confident fragments this close may be re-joined
    # a lone character is the commonest noise (specks, figure ticks, stray strokes): it needs
    # this much confidence to stay, while longer words only need `low`…
    lone_char_low: float = 0.0
    # …unless it sits inside running text ("N = 3", "of a kind", "x × y"): a neighbour of two or
    # more characters at most `lone_char_context_gap` × text height away. Then this is enough,
    # except for the strokes a ruling line or box edge is read as (STROKE_GLYPHS)
    lone_char_inline_low: float | None = None  # None: the same as lone_char_low
    lone_char_context_gap: float = 1.0
    source: str = "defaults (not tuned)"

    @classmethod
    def load(cls, path: Path = THRESHOLDS_FILE) -> Thresholds:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text())
        return cls(
            **{
                k: data[k]
                for k in (
                    "low",
                    "high",
                    "max_join_gap",
                    "max_fragment_gap",
                    "lone_char_low",
                    "lone_char_inline_low",
                    "lone_char_context_gap",
                    "source",
                )
                if k in data
            }
        )


@dataclass
class ReadWord:
    text: str
    confidence: float
    bbox: BBox
    line: int
    char_boxes: list[BBox] = field(default_factory=list)


def _join(a: ReadWord, b: ReadWord) -> ReadWord:
    return ReadWord(
        a.text + b.text,
        min(a.confidence, b.confidence),
        BBox.union([a.bbox, b.bbox]),
        a.line,
        a.char_boxes + b.char_boxes,
    )


def _gap_near(word: ReadWord, x: float) -> tuple[int, int] | None:
    """The gap (x0, x1) in the word's ink nearest `x`, within about a character of it, if one is at
    least SPLIT_MIN_GAP × height wide; None without character boxes to tell."""
    chars = sorted(word.char_boxes, key=lambda b: b.x0)
    reach = word.bbox.width / max(1, len(word.text))
    gaps, right = [], chars[0].x1 if chars else 0
    for box in chars[1:]:
        if box.x0 - right >= SPLIT_MIN_GAP * word.bbox.height and abs((right + box.x0) / 2 - x) <= reach:
            gaps.append((right, box.x0))
        right = max(right, box.x1)
    return min(gaps, key=lambda g: abs((g[0] + g[1]) / 2 - x)) if gaps else None


def _split(word: ReadWord, lexicon: Lexicon) -> list[ReadWord] | None:
    """The most frequent split of `word` into two lexicon words where its ink has a gap ("hello
    world" read without the space; "trainable" read as one unknown word stays whole)."""
    text, best, best_score, box = word.text, None, 0.0, word.bbox
    for k in range(1, len(text)):
        left, right = text[:k], text[k:]
        if min(len(left), len(right)) < MIN_SPLIT_PART and not ({left, right} & {"a", "A", "I"}):
            continue
        if not right[0].isalnum() or not (left[-1].isalnum() or left[-1] in WORD_END_PUNCTUATION):
            continue  # a hyphen, slash or apostrophe joins ("star-formation"); punctuation ends a word
        score = lexicon.frequency(left) * lexicon.frequency(right)
        gap = _gap_near(word, box.x0 + box.width * k / len(text)) if word.char_boxes else (box.x0, box.x0)
        if score > best_score and gap is not None:
            best, best_score, cut = k, score, gap
    if best is None:
        return None
    if not word.char_boxes:  # no ink to go by: boxes in proportion to characters
        middle = box.x0 + round(box.width * best / len(text))
        cut = (middle, middle)
    return [
        replace(
            word,
            text=text[:best],
            bbox=BBox(box.x0, box.y0, cut[0], box.y1),
            char_boxes=[b for b in word.char_boxes if b.x1 <= cut[0]],
        ),
        replace(
            word,
            text=text[best:],
            bbox=BBox(cut[1], box.y0, box.x1, box.y1),
            char_boxes=[b for b in word.char_boxes if b.x0 >= cut[1]],
        ),
    ]


def _fragments(left: str, right: str) -> bool:
    """Whether two readings could be the two halves of one word: letters, the right half
    perhaps with closing punctuation, and no lower-to-upper step between them ("by" "RNES")."""
    return (
        left.isalpha()
        and right[:1].isalpha()
        and core(right).isalpha()
        and not (left[-1].islower() and right[0].isupper())
    )


def rejoin_fragments(words: list[ReadWord], lexicon: Lexicon, max_gap: float) -> list[ReadWord]:
    """Join neighbours on a line (in reading order) that are pieces of one word: at most
    `max_gap` pixels apart, letters, a lexicon word together, and not both lexicon words apart."""
    out: list[ReadWord] = []
    for word in words:
        last = out[-1] if out else None
        if (
            last is not None
            and last.line == word.line
            and 0 <= word.bbox.x0 - last.bbox.x1 <= max_gap
            and _fragments(last.text, word.text)
            and lexicon.known(last.text + word.text)
            and not (lexicon.known(last.text) and lexicon.known(word.text))
        ):
            out[-1] = _join(last, word)
        else:
            out.append(word)
    return out


def _in_running_text(ordered: list[ReadWord], i: int, reach: float) -> bool:
    """Whether ordered[i] has a neighbour on its line of two or more characters within `reach` pixels."""
    word = ordered[i]
    for j in (i - 1, i + 1):
        if 0 <= j < len(ordered):
            other = ordered[j]
            gap = max(other.bbox.x0 - word.bbox.x1, word.bbox.x0 - other.bbox.x1)
            if other.line == word.line and len(other.text.strip()) > 1 and gap <= reach:
                return True
    return False


def _lone_char_floor(ordered: list[ReadWord], i: int, thresholds: Thresholds, text_height: float) -> float:
    """The confidence a one-character word needs to stay (see Thresholds.lone_char_inline_low)."""
    inline = thresholds.lone_char_inline_low
    if inline is None or ordered[i].text.strip() in STROKE_GLYPHS:
        return thresholds.lone_char_low
    if _in_running_text(ordered, i, thresholds.lone_char_context_gap * text_height):
        return inline
    return thresholds.lone_char_low


def postprocess(words: list[ReadWord], lexicon: Lexicon, thresholds: Thresholds, text_height: float) -> list[ReadWord]:
    """Apply the buckets to words in reading order (line, then x)."""
    kept: list[ReadWord] = []
    ordered = sorted((w for w in words if w.text.strip()), key=lambda w: (w.line, w.bbox.x0))
    i = 0
    while i < len(ordered):
        word = ordered[i]
        i += 1
        if word.confidence < thresholds.low or (
            len(word.text.strip()) == 1 and word.confidence < _lone_char_floor(ordered, i - 1, thresholds, text_height)
        ):
            continue
        if word.confidence >= thresholds.high or lexicon.known(word.text):
            kept.append(word)
            continue
        following = ordered[i] if i < len(ordered) else None
        if (
            following is not None
            and following.line == word.line
            and following.bbox.x0 - word.bbox.x1 <= thresholds.max_join_gap * text_height
            and following.confidence < thresholds.high
            and lexicon.known(word.text + following.text)
        ):
            kept.append(_join(word, following))
            i += 1
            continue
        kept.extend(_split(word, lexicon) or [word])
    joined = rejoin_fragments(kept, lexicon, thresholds.max_fragment_gap * text_height)
    return [replace(w, text=repair(w.text, lexicon)) for w in joined]
