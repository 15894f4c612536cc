"""Confidence buckets, lexicon combine/split, and the Wordinator on crafted cases."""

from __future__ import annotations

from engines.result import BBox
from inhouse.detector import WordBox
from inhouse.postprocess.buckets import ReadWord, Thresholds, postprocess
from inhouse.postprocess.lexicon import Lexicon
from inhouse.postprocess.repair import close_brackets, repair
from inhouse.wordinator import rejoin, split_words

LEXICON = Lexicon({"hello": 1e-4, "world": 1e-4, "total": 1e-4, "cash": 1e-5, "the": 1e-2, "rest": 1e-5})
THRESHOLDS = Thresholds(low=0.1, high=0.9, max_join_gap=0.6)


def word(text, conf, x0, x1, line=0):
    return ReadWord(text, conf, BBox(x0, 0, x1, 20), line)


def texts(words):
    return [w.text for w in words]


def test_high_kept_low_dropped():
    out = postprocess([word("Xq#", 0.95, 0, 30), word("~~", 0.02, 40, 60)], LEXICON, THRESHOLDS, 20)
    assert texts(out) == ["Xq#"]


def test_lone_characters_need_their_own_confidence():
    thresholds = Thresholds(low=0.1, high=0.9, lone_char_low=0.6)
    read = [word("|", 0.5, 0, 5), word("x", 0.7, 10, 20), word("ab", 0.5, 30, 50)]
    assert texts(postprocess(read, LEXICON, thresholds, 20)) == ["x", "ab"]


def test_a_lone_character_inside_running_text_needs_less_confidence():
    thresholds = Thresholds(low=0.1, high=0.9, lone_char_low=0.9, lone_char_inline_low=0.2)
    equation = [word("for", 0.95, 0, 30), word("N", 0.5, 40, 50), word("=", 0.4, 60, 70), word("30", 0.95, 80, 100)]
    # "N" and "=" each touch a word of two characters or more within one text height (20 px)
    assert texts(postprocess(equation, LEXICON, thresholds, 20)) == ["for", "N", "=", "30"]
    isolated = [word("for", 0.95, 0, 30), word("=", 0.4, 60, 70), word("30", 0.95, 200, 220)]
    assert texts(postprocess(isolated, LEXICON, thresholds, 20)) == ["for", "30"]


def test_a_stroke_beside_text_is_still_held_to_the_lone_character_floor():
    thresholds = Thresholds(low=0.1, high=0.9, lone_char_low=0.9, lone_char_inline_low=0.2)
    boxed = [word("|", 0.6, 0, 4), word("cash", 0.95, 10, 50), word("]", 0.6, 56, 60), word("x", 0.6, 70, 80)]
    # the strokes touch "cash" but are strokes; "x" touches only the one-character "]"
    assert texts(postprocess(boxed, LEXICON, thresholds, 20)) == ["cash"]


def test_middle_band_combines_a_wrongly_split_word():
    out = postprocess([word("wo", 0.5, 0, 20), word("rld", 0.5, 24, 50)], LEXICON, THRESHOLDS, 20)
    assert texts(out) == ["world"] and out[0].bbox == BBox(0, 0, 50, 20)


def test_words_far_apart_or_on_other_lines_are_not_combined():
    far = postprocess([word("wo", 0.5, 0, 20), word("rld", 0.5, 60, 90)], LEXICON, THRESHOLDS, 20)
    other_line = postprocess([word("wo", 0.5, 0, 20), word("rld", 0.5, 22, 50, line=1)], LEXICON, THRESHOLDS, 20)
    assert texts(far) == ["wo", "rld"] and texts(other_line) == ["wo", "rld"]


def test_middle_band_splits_a_wrongly_joined_word():
    out = postprocess([word("helloworld", 0.5, 0, 100)], LEXICON, THRESHOLDS, 20)
    assert texts(out) == ["hello", "world"]
    assert out[0].bbox.x1 == out[1].bbox.x0 == 50


def test_known_shapes_and_punctuation_are_kept_unchanged():
    out = postprocess([word("12.90", 0.3, 0, 50), word("TOTAL:", 0.3, 60, 120), word("2026-11-25", 0.3, 130, 200)],
                      LEXICON, THRESHOLDS, 20)
    assert texts(out) == ["12.90", "TOTAL:", "2026-11-25"]


def test_wordinator_rejoins_chopped_pieces_and_splits_spaced_readings():
    chars = [BBox(x, 0, x + 8, 20) for x in (0, 10, 20, 40, 50)]
    pieces = [WordBox(BBox(0, 0, 28, 20), 0, chars[:3], chop_group=7, chop_part=0),
              WordBox(BBox(40, 0, 58, 20), 0, chars[3:], chop_group=7, chop_part=1)]
    joined = rejoin(pieces, [("abc", 0.9), ("de", 0.8)])
    assert len(joined) == 1 and joined[0].text == "abcde" and abs(joined[0].confidence - 0.72) < 1e-9
    spaced = split_words(ReadWord("abc de", 0.9, BBox(0, 0, 58, 20), 0, chars))
    assert texts(spaced) == ["abc", "de"]
    assert spaced[0].bbox == BBox(0, 0, 28, 20) and spaced[1].bbox == BBox(40, 0, 58, 20)


def test_wordinator_falls_back_to_proportional_boxes():
    spaced = split_words(ReadWord("ab cd", 0.9, BBox(0, 0, 50, 20), 0, []))
    assert [w.bbox.x0 for w in spaced] == [0, 30] and spaced[-1].bbox.x1 == 50


def test_confident_fragments_of_one_word_are_rejoined():
    lexicon = Lexicon({"amount": 1e-4, "in": 1e-2, "to": 1e-2, "into": 1e-3, "by": 1e-2, "byrnes": 1e-7, "n": 1e-5})
    read = [word("amou", 0.97, 0, 40), word("nt,", 0.95, 44, 70),        # pieces of one word: joined
            word("in", 0.99, 90, 105), word("to", 0.99, 109, 125),       # two words of their own: kept apart
            word("by", 0.99, 140, 160), word("RNES", 0.99, 164, 200),     # a lower-to-upper step: kept apart
            word("amou", 0.97, 220, 260), word("nt", 0.95, 300, 320),     # too far apart
            word("N", 0.99, 340, 350), word("=", 0.99, 354, 360)]         # not letters
    assert texts(postprocess(read, lexicon, THRESHOLDS, 20)) == [
        "amount,", "in", "to", "by", "RNES", "amou", "nt", "N", "="]


def _inked(text, conf, x0, letter=9, gap_after=None, gap=8):
    """A word whose character boxes sit `letter` px apart, with a wider gap after index `gap_after`."""
    boxes, x = [], x0
    for k in range(len(text)):
        boxes.append(BBox(x, 0, x + letter - 1, 20))
        x += letter + (gap if k == gap_after else 0)
    return ReadWord(text, conf, BBox.union(boxes), 0, boxes)


def test_a_joined_word_splits_where_its_ink_has_a_gap():
    out = postprocess([_inked("helloworld", 0.5, 0, gap_after=4)], LEXICON, THRESHOLDS, 20)
    assert texts(out) == ["hello", "world"]
    assert out[0].bbox.x1 == 44 and out[1].bbox.x0 == 53  # cut at the gap, not in proportion


def test_an_unknown_word_without_a_gap_stays_whole():
    # "trainable" is no lexicon word, "train" and "able" are: without a gap in the ink it is one word
    lexicon = Lexicon({"train": 1e-4, "able": 1e-4})
    assert texts(postprocess([_inked("trainable", 0.5, 0)], lexicon, THRESHOLDS, 20)) == ["trainable"]


def test_hyphens_and_punctuation_are_never_split_points():
    lexicon = Lexicon({"star": 1e-4, "formation": 1e-4, "better": 1e-4, "whereas": 1e-4})
    read = [word("star-formation", 0.5, 0, 140), word("better,whereas", 0.5, 150, 290)]
    assert texts(postprocess(read, lexicon, THRESHOLDS, 20)) == ["star-formation", "better,", "whereas"]


def test_same_shape_capitals_inside_a_known_word_are_lowered():
    lexicon = Lexicon({"is": 1e-2, "cross": 1e-4, "section": 1e-4})
    assert [repair(w, lexicon) for w in ("iS", "crOsS", "section,", "SNRS", "Cross")] == \
        ["is", "cross", "section,", "SNRS", "Cross"]  # unknown words and a capital first letter stay


def test_a_digit_inside_letters_becomes_the_letter_that_makes_a_word():
    lexicon = Lexicon({"is": 1e-2, "fig": 1e-5, "cold": 1e-4, "xi": 1e-5})
    assert [repair(w, lexicon) for w in ("1S", "F1g.", "co1d", "x1", "H2O", "10.5")] == \
        ["is", "Fig.", "cold", "x1", "H2O", "10.5"]  # "x1" is a subscript, not "xi"


def test_a_citation_bracket_closed_by_a_parenthesis_is_closed_by_its_own():
    assert [close_brackets(w) for w in ("[8),", "(see", "[hep-ph))", "f(x)")] == ["[8],", "(see", "[hep-ph])", "f(x)"]


def test_postprocess_applies_the_repairs():
    out = postprocess([word("iS", 0.95, 0, 20), word("[8),", 0.95, 30, 60)], Lexicon({"is": 1e-2}), THRESHOLDS, 20)
    assert texts(out) == ["is", "[8],"]


def test_a_word_only_the_faint_pass_found_counts_only_if_read_surely():
    box = BBox(0, 0, 30, 20)
    found = [WordBox(box, 0, [box], chop_group=0), WordBox(box, 0, [box], chop_group=1, faint=True),
             WordBox(box, 0, [box], chop_group=2, faint=True), WordBox(box, 0, [box], chop_group=3, faint=True),
             WordBox(box, 0, [box], chop_group=3, chop_part=1, faint=True)]
    readings = [("sure", 0.3), ("unsure", 0.5), ("clear", 0.9), ("pie", 0.9), ("ces", 0.8)]
    assert texts(rejoin(found, readings, faint_min_confidence=0.6)) == ["sure", "clear", "pieces"]
    found[2].beside = 9  # kept, a faint word joins the first-pass line beside it
    assert [w.line for w in rejoin(found, readings, faint_min_confidence=0.6)] == [0, 9, 0]
    assert texts(rejoin(found, readings, faint_min_confidence=0.75)) == ["sure", "clear"]  # a chopped word as one: .72
    assert len(rejoin(found, readings)) == 4
    assert texts(rejoin(found, readings, faint_min_chars=5)) == ["sure", "unsure", "clear", "pieces"]
