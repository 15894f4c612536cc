"""Pairs agree on reading, not on reading order: the aligned disagreement of two engines' outputs."""

from __future__ import annotations

import pytest

from engines import BBox, Block, Line, OcrResult, Page, Word
from rollout.agreement import agreement

# a two-column page: left column at x 0-400, right column at x 500-900, two rows
LEFT = [("Invoice", 0, 0), ("total", 0, 50)]
RIGHT = [("Paid", 500, 0), ("today", 500, 50)]


def word(text: str, x: int, y: int) -> Word:
    return Word(text, BBox(x, y, x + 20 * len(text), y + 30), 0.9)


def result(*lines: list[tuple[str, int, int]]) -> OcrResult:
    page = Page(width=1000, height=200, blocks=[Block([Line([word(*w) for w in line]) for line in lines])])
    return OcrResult(pages=[page], engine="t", engine_version="1")


def by_columns(left=LEFT, right=RIGHT) -> OcrResult:
    return result(*[[w] for w in left], *[[w] for w in right])


def by_rows(left=LEFT, right=RIGHT) -> OcrResult:
    return result(*[[a, b] for a, b in zip(left, right, strict=True)])


def test_two_correct_readings_in_different_orders_agree():
    score = agreement(by_columns(), by_rows())
    assert score.aligned is not None and score.aligned.errors == 0
    assert score.cer_between is not None and score.cer_between > 0.3  # the text-order CER says otherwise


@pytest.mark.parametrize(
    "candidate, errors",
    [
        (by_rows(right=[("Paid", 500, 0), ("todav", 500, 50)]), 1),  # one misread character
        (by_rows(right=[("Paid", 500, 0), ("", 500, 50)]), 5),  # a missing word
        (result([("Invoice", 0, 0), ("Paid", 500, 0)], [("total", 0, 50), ("today", 500, 50)],
                [("extra", 0, 150)]), 5),  # an invented word below every line
    ],
)
def test_misread_missing_and_invented_words_disagree(candidate, errors):
    score = agreement(by_columns(), candidate)
    assert score.aligned is not None and score.aligned.errors == errors
    assert score.aligned.reference_length == len("Invoice" + "total" + "Paid" + "today")


def test_a_failed_run_has_no_agreement():
    score = agreement(by_columns(), None)
    assert (score.aligned, score.cer_between, score.exact_match) == (None, None, False)


def test_traffic_shows_aligned_disagreement_beside_the_aa_floor(sqlite_store, test_engines):
    from rollout.gate_store import GateChange, change_gate, create_gate
    from rollout.router import Router
    from rollout.shadow import ShadowRunner
    from rollout.snapshot import GateSnapshot
    from rollout.traffic import traffic_summary
    from tests.rollout_fixtures import png_bytes

    create_gate(sqlite_store, "ocr-engine", "alpha", "beta", actor="test")  # "hello" vs "hallo"
    change_gate(sqlite_store, "ocr-engine", GateChange(stage="shadow", aa_percent=50), actor="test")
    shadows = ShadowRunner(sqlite_store, workers=2, timeout=5.0, sweep_seconds=0.2).start()
    router = Router(sqlite_store, GateSnapshot(sqlite_store), shadows)
    for n in range(30):
        router.serve(png_bytes(), unit=f"u{n}", category="receipts")
    assert shadows.drain(30)
    shadows.stop()
    with sqlite_store.session() as session:
        row = traffic_summary(session, "ocr-engine")["receipts"]
    assert row["aligned_disagreement"]["pairs"] == 30
    assert row["aligned_disagreement"]["value"] == pytest.approx(1 / 5)  # one character of five
    assert row["aa_floor"]["value"] == 0 and row["aa_floor"]["pairs"] == row["aa_pairs"] > 0
    assert row["beyond_floor"]["low"] > 0


def test_an_aa_gate_disagrees_within_its_noise_floor(sqlite_store, test_engines):
    """Control and candidate the same engine: the candidate lane is another A/A lane, so its aligned
    disagreement sits inside the floor (the interval of the difference holds 0)."""
    from rollout.gate_store import GateChange, change_gate, create_gate
    from rollout.router import Router
    from rollout.shadow import ShadowRunner
    from rollout.snapshot import GateSnapshot
    from rollout.traffic import traffic_summary
    from tests.rollout_fixtures import png_bytes

    create_gate(sqlite_store, "aa", "alpha", "alpha", actor="test")
    change_gate(sqlite_store, "aa", GateChange(stage="shadow", aa_percent=50), actor="test")
    shadows = ShadowRunner(sqlite_store, workers=2, timeout=5.0, sweep_seconds=0.2).start()
    router = Router(sqlite_store, GateSnapshot(sqlite_store), shadows)
    for n in range(30):
        router.serve(png_bytes(), unit=f"u{n}", category="receipts", gate="aa")
    assert shadows.drain(30)
    shadows.stop()
    with sqlite_store.session() as session:
        row = traffic_summary(session, "aa")["receipts"]
    assert row["pairs"] == 30 and row["aa_pairs"] > 0
    assert row["beyond_floor"]["low"] <= 0 <= row["beyond_floor"]["high"]
