"""Bootstrap confidence intervals and paired comparisons over pages.

Pages (not characters) are the unit of resampling: characters on one page are not
independent. A ratio metric (errors / reference length) is recomputed on every resample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.95
SEED = 20170412


def _interval(samples: np.ndarray) -> tuple[float, float]:
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(samples, [tail, 100 - tail])
    return float(low), float(high)


def ratio(numerators: np.ndarray, denominators: np.ndarray) -> float:
    total = denominators.sum()
    return float(numerators.sum() / total) if total else (0.0 if numerators.sum() == 0 else 1.0)


def bootstrap_ratio(numerators, denominators, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
                    ) -> tuple[float, float, float]:
    """(value, low, high): sum(num)/sum(den) and its percentile-bootstrap interval."""
    num, den = np.asarray(numerators, float), np.asarray(denominators, float)
    if num.size == 0:
        return float("nan"), float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, num.size, (samples, num.size))
    sums_den = den[idx].sum(axis=1)
    sums_num = num[idx].sum(axis=1)
    values = np.divide(sums_num, sums_den, out=np.where(sums_num > 0, 1.0, 0.0), where=sums_den > 0)
    return (ratio(num, den), *_interval(values))


def bootstrap_mean(values, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> tuple[float, float, float]:
    v = np.asarray(values, float)
    return bootstrap_ratio(v, np.ones_like(v), samples, seed)


@dataclass(frozen=True)
class PairedComparison:
    """Candidate minus control on the same pages, for an error metric (lower is better)."""

    n: int
    control: float
    candidate: float
    delta: float
    delta_low: float
    delta_high: float
    p_value: float
    verdict: str   # "better", "worse" or "not distinguishable" (for the candidate)

    def as_dict(self) -> dict:
        return {"n": self.n, "control_error": self.control, "candidate_error": self.candidate, "delta": self.delta,
                "delta_ci95": [self.delta_low, self.delta_high], "p_value": self.p_value, "verdict": self.verdict}


def paired_comparison(control_num, control_den, candidate_num, candidate_den,
                      samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> PairedComparison:
    """Paired bootstrap of the difference of ratios, plus a sign-flip permutation test on
    per-page differences. The verdict is "better"/"worse" only when the 95% interval of the
    difference excludes zero."""
    a_num, a_den = np.asarray(control_num, float), np.asarray(control_den, float)
    b_num, b_den = np.asarray(candidate_num, float), np.asarray(candidate_den, float)
    n = a_num.size
    if n == 0:
        nan = float("nan")
        return PairedComparison(0, nan, nan, nan, nan, nan, nan, "not distinguishable")
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, (samples, n))

    def resampled(num, den):
        d = den[idx].sum(axis=1)
        s = num[idx].sum(axis=1)
        return np.divide(s, d, out=np.where(s > 0, 1.0, 0.0), where=d > 0)

    deltas = resampled(b_num, b_den) - resampled(a_num, a_den)
    low, high = _interval(deltas)
    control, candidate = ratio(a_num, a_den), ratio(b_num, b_den)
    # per-page error-rate differences, weighted by page length through the pooled denominator
    pooled = np.maximum((a_den + b_den) / 2, 1)
    per_page = (b_num - a_num) / pooled.sum()
    observed = abs(per_page.sum())
    flips = rng.choice([-1.0, 1.0], size=(samples, n))
    null = np.abs((flips * per_page).sum(axis=1))
    p_value = float((np.sum(null >= observed - 1e-15) + 1) / (samples + 1))
    verdict = "better" if high < 0 else "worse" if low > 0 else "not distinguishable"
    return PairedComparison(n, control, candidate, candidate - control, low, high, p_value, verdict)
