"""How much two engines' outputs on the same request agree: the score of every stored pair.

The headline is the **aligned disagreement**: the candidate's words are read against the
control's lines by position, exactly as the evaluation's aligned CER reads an engine against
ground-truth lines (`evaluation.scoring.aligned_counts`). Two correct readings of a two-column
page in different orders therefore agree, while misread, missing and invented words do not.
The text-order CER (`cer_between`) is kept beside it: where the two differ, the engines disagree
on reading order, not on reading.
"""

from __future__ import annotations

from dataclasses import dataclass

from engines.result import OcrResult
from evaluation.dataset import TextBox
from evaluation.metrics import Counts, char_counts
from evaluation.normalize import normalize
from evaluation.scoring import aligned_counts


@dataclass(frozen=True)
class Agreement:
    cer_between: float | None  # text-order edit distance / control text length; None if either run failed
    aligned: Counts | None  # candidate words against control lines, by position; None if either run failed
    exact_match: bool
    confidence_delta: float | None  # candidate − control mean word confidence


def aligned_disagreement(control: OcrResult, candidate: OcrResult) -> Counts:
    """Edits that turn the control's lines into the candidate's words assigned to them by box,
    page by page (a page only one engine returned counts whole)."""
    total = Counts()
    for index in range(max(len(control.pages), len(candidate.pages))):
        lines = (
            [TextBox(line.bbox, line.text) for line in control.pages[index].lines if line.text and line.bbox]
            if index < len(control.pages)
            else []
        )
        words = [w for w in candidate.pages[index].words if w.text.strip()] if index < len(candidate.pages) else []
        counts, _ = aligned_counts(lines, words, fold_case=False)
        total += counts
    return total


def agreement(control: OcrResult | None, candidate: OcrResult | None) -> Agreement:
    if control is None or candidate is None:
        return Agreement(None, None, False, None)
    a, b = normalize(control.text), normalize(candidate.text)
    conf_a, conf_b = control.mean_confidence(), candidate.mean_confidence()
    delta = conf_b - conf_a if conf_a is not None and conf_b is not None else None
    return Agreement(char_counts(a, b).rate, aligned_disagreement(control, candidate), a == b, delta)
