"""Bootstrap confidence intervals and paired comparisons over pages.

Pages (not characters) are the unit of resampling: characters on one page are not
independent. A ratio metric (errors / reference length) is recomputed on every resample.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

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


def bootstrap_ratio(
    numerators, denominators, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
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


def bootstrap_ratio_difference(
    num_a, den_a, num_b, den_b, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> tuple[float, float, float]:
    """(value, low, high) of ratio(a) − ratio(b) for two *independent* samples (no pairing), each
    resampled on its own: e.g. a candidate's traffic disagreement against the A/A noise floor."""
    a_num, a_den = np.asarray(num_a, float), np.asarray(den_a, float)
    b_num, b_den = np.asarray(num_b, float), np.asarray(den_b, float)
    if a_num.size == 0 or b_num.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)

    def resampled(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        idx = rng.integers(0, num.size, (samples, num.size))
        s, d = num[idx].sum(axis=1), den[idx].sum(axis=1)
        return np.divide(s, d, out=np.where(s > 0, 1.0, 0.0), where=d > 0)

    differences = resampled(a_num, a_den) - resampled(b_num, b_den)
    return (ratio(a_num, a_den) - ratio(b_num, b_den), *_interval(differences))


def bootstrap_quantile_ratio(
    numerator, denominator, q: float, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED
) -> tuple[float, float, float]:
    """(value, low, high) of quantile_q(numerator) / quantile_q(denominator) over paired items (e.g. the
    candidate's and the control's latency on the same requests), resampling the pairs."""
    a, b = np.asarray(numerator, float), np.asarray(denominator, float)
    if a.size == 0:
        return float("nan"), float("nan"), float("nan")
    idx = np.random.default_rng(seed).integers(0, a.size, (samples, a.size))
    top, bottom = np.quantile(a[idx], q, axis=1), np.quantile(b[idx], q, axis=1)
    ratios = np.divide(top, bottom, out=np.full_like(top, np.inf), where=bottom > 0)
    observed = np.quantile(b, q)
    return (float(np.quantile(a, q) / observed) if observed > 0 else float("inf"), *_interval(ratios))


def bootstrap_mean(values, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> tuple[float, float, float]:
    v = np.asarray(values, float)
    return bootstrap_ratio(v, np.ones_like(v), samples, seed)


#: below this many pages the sign-flip test enumerates every one of the 2^n sign vectors (exact p)
EXACT_PERMUTATION_MAX_N = 16
#: a verdict other than "not distinguishable" needs p below this (after correction across categories)
ALPHA = 0.05


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
    verdict: str  # "better", "worse" or "not distinguishable" (for the candidate)

    def as_dict(self) -> dict:
        return {
            "n": self.n,
            "control_error": self.control,
            "candidate_error": self.candidate,
            "delta": self.delta,
            "delta_ci95": [self.delta_low, self.delta_high],
            "p_value": self.p_value,
            "verdict": self.verdict,
        }


def verdict_of(low: float, high: float, p_value: float, alpha: float = ALPHA) -> str:
    """ "better"/"worse" only when the interval excludes zero *and* the test rejects at `alpha`: at
    small n a bootstrap interval can exclude zero where no test could (n = 5: p ≥ 1/16)."""
    if p_value < alpha and high < 0:
        return "better"
    if p_value < alpha and low > 0:
        return "worse"
    return "not distinguishable"


def sign_flip_p_value(differences: np.ndarray, samples: int = BOOTSTRAP_SAMPLES, seed: int = SEED) -> float:
    """Two-sided p of the paired sign-flip (permutation) test of sum(differences) = 0: exact by
    enumeration up to EXACT_PERMUTATION_MAX_N pages, Monte Carlo (with the +1 correction) above."""
    n = differences.size
    observed = abs(differences.sum())
    if n <= EXACT_PERMUTATION_MAX_N:
        signs = 1.0 - 2.0 * ((np.arange(2**n)[:, None] >> np.arange(n)) & 1)
        null = np.abs(signs @ differences)
        return float(np.mean(null >= observed - 1e-12))
    flips = np.random.default_rng(seed).choice([-1.0, 1.0], size=(samples, n))
    null = np.abs(flips @ differences)
    return float((np.sum(null >= observed - 1e-12) + 1) / (samples + 1))


def bca_interval(replicates: np.ndarray, observed: float, jackknife: np.ndarray) -> tuple[float, float]:
    """The bias-corrected and accelerated bootstrap interval (Efron 1987): the percentile interval
    shifted for the median bias of the replicates and the skew measured by the jackknife, which keeps
    its coverage near nominal at small n where the plain percentile interval is too narrow."""
    normal = NormalDist()
    b = replicates.size
    below = (np.sum(replicates < observed) + 0.5 * np.sum(replicates == observed)) / b
    z0 = normal.inv_cdf(min(max(below, 0.5 / b), 1 - 0.5 / b))
    spread = jackknife.mean() - jackknife
    scale = float((spread**2).sum())
    accel = float((spread**3).sum()) / (6 * scale**1.5) if scale > 0 else 0.0
    bounds = []
    for tail in ((1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2):
        z = normal.inv_cdf(tail)
        shifted = z0 + (z0 + z) / (1 - accel * (z0 + z))
        bounds.append(float(np.percentile(replicates, 100 * normal.cdf(shifted))))
    return bounds[0], bounds[1]


def _ratio_difference_jackknife(a_num, a_den, b_num, b_den) -> np.ndarray:
    """Leave-one-page-out values of ratio(b) − ratio(a)."""

    def leave_one_out(num: np.ndarray, den: np.ndarray) -> np.ndarray:
        s, d = num.sum() - num, den.sum() - den
        return np.divide(s, d, out=np.where(s > 0, 1.0, 0.0), where=d > 0)

    return leave_one_out(b_num, b_den) - leave_one_out(a_num, a_den)


def paired_comparison(
    control_num,
    control_den,
    candidate_num,
    candidate_den,
    samples: int = BOOTSTRAP_SAMPLES,
    seed: int = SEED,
    alpha: float = ALPHA,
) -> PairedComparison:
    """Paired BCa bootstrap interval of the difference of ratios, plus a sign-flip permutation test
    on per-page differences (exact at small n). See `verdict_of`."""
    a_num, a_den = np.asarray(control_num, float), np.asarray(control_den, float)
    b_num, b_den = np.asarray(candidate_num, float), np.asarray(candidate_den, float)
    n = a_num.size
    if n == 0:
        nan = float("nan")
        return PairedComparison(0, nan, nan, nan, nan, nan, nan, "not distinguishable")
    idx = np.random.default_rng(seed).integers(0, n, (samples, n))

    def resampled(num, den):
        d = den[idx].sum(axis=1)
        s = num[idx].sum(axis=1)
        return np.divide(s, d, out=np.where(s > 0, 1.0, 0.0), where=d > 0)

    control, candidate = ratio(a_num, a_den), ratio(b_num, b_den)
    deltas = resampled(b_num, b_den) - resampled(a_num, a_den)
    if n > 1:
        low, high = bca_interval(deltas, candidate - control, _ratio_difference_jackknife(a_num, a_den, b_num, b_den))
    else:
        low, high = _interval(deltas)
    # per-page error-rate differences, weighted by page length through the pooled denominator
    pooled = np.maximum((a_den + b_den) / 2, 1)
    per_page = (b_num - a_num) / pooled.sum()
    p_value = sign_flip_p_value(per_page, samples, seed)
    return PairedComparison(
        n, control, candidate, candidate - control, low, high, p_value, verdict_of(low, high, p_value, alpha)
    )


def holm_adjusted(p_values: list[float]) -> list[float]:
    """Holm–Bonferroni adjusted p-values (family-wise error at most α when each is compared to α)."""
    order = sorted(range(len(p_values)), key=p_values.__getitem__)
    adjusted = [0.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
