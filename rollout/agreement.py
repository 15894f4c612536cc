"""How much two engines' outputs on the same request agree: the score of every stored pair."""

from __future__ import annotations

from dataclasses import dataclass

from engines.result import OcrResult
from evaluation.metrics import char_counts
from evaluation.normalize import normalize


@dataclass(frozen=True)
class Agreement:
    cer_between: float | None  # edit distance / control text length; None if either run failed
    exact_match: bool
    confidence_delta: float | None  # candidate − control mean word confidence


def agreement(control: OcrResult | None, candidate: OcrResult | None) -> Agreement:
    if control is None or candidate is None:
        return Agreement(None, False, None)
    a, b = normalize(control.text), normalize(candidate.text)
    conf_a, conf_b = control.mean_confidence(), candidate.mean_confidence()
    delta = conf_b - conf_a if conf_a is not None and conf_b is not None else None
    return Agreement(char_counts(a, b).rate, a == b, delta)
