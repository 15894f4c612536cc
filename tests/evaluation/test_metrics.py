"""Every metric on hand-computed cases."""

from __future__ import annotations

import pytest

from engines.result import BBox, Word
from evaluation.dataset import TextBox
from evaluation.metrics import (Counts, bag_of_words_recall, char_class_hits, char_counts, detection_counts,
                                match_boxes, word_counts)
from evaluation.normalize import normalize, uppercase_categories, words
from evaluation.scoring import aligned_counts, kept_words, truth_word_boxes


@pytest.mark.parametrize("ref, hyp, expected", [
    ("abc", "abc", Counts(0, 0, 0, 3)),
    ("abc", "abd", Counts(1, 0, 0, 3)),       # substitution
    ("abcd", "abd", Counts(0, 1, 0, 4)),      # deletion
    ("abd", "abcd", Counts(0, 0, 1, 3)),      # insertion
    ("", "", Counts(0, 0, 0, 0)),             # empty reference, empty hypothesis
    ("", "xy", Counts(0, 0, 2, 0)),           # empty reference: every character inserted
    ("hello", "", Counts(0, 5, 0, 5)),        # empty hypothesis: every character deleted
])
def test_char_counts(ref, hyp, expected):
    assert char_counts(ref, hyp) == expected


def test_rates_of_empty_cases():
    assert char_counts("", "").rate == 0.0
    assert char_counts("", "xy").rate == 1.0
    assert char_counts("hello", "").rate == 1.0
    assert char_counts("abcd", "abd").rate == pytest.approx(0.25)


def test_word_counts():
    assert word_counts("the cat sat", "the hat sat") == Counts(1, 0, 0, 3)
    assert word_counts("the cat sat", "the sat") == Counts(0, 1, 0, 3)
    assert word_counts("a b", "a b c").insertions == 1
    assert word_counts("", "x y").insertions == 2


def test_unicode_normalisation():
    composed, combining = "caf\u00e9", "cafe\u0301"
    assert char_counts(normalize(composed), normalize(combining)).errors == 0
    assert normalize("\ufb01nal  de\ufb02ect\n") == "final deflect"       # ligatures, whitespace
    assert normalize("TOTAL Ünïcode", fold_case=True) == "total ünïcode"
    assert words("  two\twords ") == ["two", "words"]
    assert char_counts(normalize("Straße", True), normalize("STRASSE", True)).errors == 0


def test_uppercase_categories_are_detected_from_data():
    samples = [("tapes", "TOTAL 2.00"), ("tapes", "CASH"), ("docs", "Dear Sir"), ("docs", "FORM")]
    assert uppercase_categories(samples) == {"tapes"}


def test_bag_of_words_recall_is_order_free_multiset():
    assert bag_of_words_recall(["a", "b", "a"], ["b", "a"]) == (2, 3)
    assert bag_of_words_recall([], ["x"]) == (0, 0)


def test_char_classes():
    hits = char_class_hits("ab1.$", "ab1,$")
    assert hits == {"letters": (2, 2), "digits": (1, 1), "punctuation": (0, 1), "symbols": (1, 1)}


def test_box_matching_is_one_to_one_at_iou():
    truth = [BBox(0, 0, 10, 10), BBox(20, 0, 30, 10)]
    detected = [BBox(0, 0, 10, 10), BBox(1, 0, 11, 10), BBox(20, 0, 24, 10)]  # last one IoU 0.4
    assert match_boxes(truth, detected) == 1
    counts = detection_counts(truth, detected)
    assert (counts.precision, counts.recall) == (pytest.approx(1 / 3), 0.5)
    assert match_boxes(truth, detected, threshold=0.4) == 2


def test_truth_word_boxes_split_phrases_by_characters():
    boxes = truth_word_boxes([TextBox(BBox(0, 0, 90, 10), "ab cd efg"), TextBox(BBox(100, 0, 110, 10), "x")])
    assert boxes == [BBox(0, 0, 20, 10), BBox(30, 0, 50, 10), BBox(60, 0, 90, 10), BBox(100, 0, 110, 10)]


def _w(text, x0, y0, x1, y1):
    return Word(text, BBox(x0, y0, x1, y1), 1.0)


TWO_COLUMNS = [TextBox(BBox(0, 0, 100, 20), "left one"), TextBox(BBox(200, 0, 300, 20), "right two"),
               TextBox(BBox(0, 30, 100, 50), "left three")]


def test_aligned_cer_ignores_reading_order_across_columns():
    column_order = [_w("left", 0, 0, 40, 20), _w("one", 50, 0, 100, 20), _w("left", 0, 30, 40, 50),
                    _w("three", 50, 30, 100, 50), _w("right", 200, 0, 250, 20), _w("two", 260, 0, 300, 20)]
    counts, pairs = aligned_counts(TWO_COLUMNS, column_order, fold_case=False)
    assert counts.errors == 0 and counts.reference_length == len("left one") + len("right two") + len("left three")
    assert pairs[1] == ("right two", "right two")


def test_aligned_cer_counts_misreads_missing_and_invented_words():
    read = [_w("left", 0, 0, 40, 20), _w("onc", 50, 0, 100, 20),      # one substitution
            _w("right", 200, 0, 250, 20),                               # "two" missing: 4 deletions (" two")
            _w("left", 0, 30, 40, 50), _w("three", 50, 30, 100, 50),
            _w("noise", 500, 500, 540, 520)]                            # overlaps no line: 5 insertions
    counts, _ = aligned_counts(TWO_COLUMNS, read, fold_case=False)
    assert (counts.substitutions, counts.deletions, counts.insertions) == (1, 4, 5)


def test_words_in_ignore_regions_are_skipped():
    from engines.result import Block, Line, OcrResult, Page
    words_read = [_w("keep", 0, 0, 40, 20), _w("x^2", 200, 0, 240, 20)]
    result = OcrResult("e", "1", [Page(400, 100, [Block([Line(words_read)])])])
    kept = kept_words(result, [BBox(190, 0, 260, 30)])
    assert [w.text for line in kept for w in line] == ["keep"]
    assert kept_words(None, []) == []
