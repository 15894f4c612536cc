"""Bootstrap intervals and paired verdicts on synthetic engines whose true difference is known."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.stats import bootstrap_mean, bootstrap_ratio, holm_adjusted, paired_comparison


def test_bootstrap_ratio_is_the_micro_average_with_an_interval_around_it():
    value, low, high = bootstrap_ratio([1, 2, 3], [10, 10, 20])
    assert value == pytest.approx(6 / 40)
    assert low <= value <= high


def test_interval_narrows_with_more_pages():
    rng = np.random.default_rng(1)
    small = bootstrap_mean(rng.normal(0.1, 0.05, 20))
    large = bootstrap_mean(rng.normal(0.1, 0.05, 2000))
    assert (large[2] - large[1]) < (small[2] - small[1]) / 5
    assert large[1] < 0.1 < large[2]


def test_interval_covers_the_truth_most_of_the_time():
    rng = np.random.default_rng(7)
    covered = 0
    for trial in range(100):
        values = rng.binomial(1, 0.3, 200)
        _, low, high = bootstrap_mean(values, samples=500, seed=trial)
        covered += low <= 0.3 <= high
    assert covered >= 88  # nominal 95%


def _engine_errors(rng, rate, lengths):
    return rng.binomial(lengths, rate)


@pytest.mark.parametrize("candidate_rate, expected", [(0.05, "better"), (0.15, "worse"), (0.10, "not distinguishable")])
def test_paired_verdict_on_engines_with_known_difference(candidate_rate, expected):
    rng = np.random.default_rng(42)
    lengths = rng.integers(200, 2000, 150)
    difficulty = rng.uniform(0.5, 1.5, 150)  # shared per-page difficulty: what pairing cancels
    control = rng.binomial(lengths, np.clip(0.10 * difficulty, 0, 1))
    candidate = rng.binomial(lengths, np.clip(candidate_rate * difficulty, 0, 1)) if candidate_rate != 0.10 else \
        control + rng.integers(-3, 4, 150).clip(-control)
    result = paired_comparison(control, lengths, candidate, lengths)
    assert result.verdict == expected
    assert result.delta_low <= result.delta <= result.delta_high
    if expected != "not distinguishable":
        assert result.p_value < 0.01


def test_paired_comparison_of_identical_engines():
    errors, lengths = np.array([3, 5, 0, 2]), np.array([100, 80, 50, 60])
    result = paired_comparison(errors, lengths, errors, lengths)
    assert result.delta == 0 and result.verdict == "not distinguishable" and result.p_value == 1.0


@pytest.mark.parametrize("n, expected_p, verdict", [(5, 2 / 32, "not distinguishable"), (12, 2 / 4096, "worse")])
def test_a_candidate_worse_on_every_page_is_called_worse_only_when_a_test_can_tell(n, expected_p, verdict):
    """The guard once approved a ramp at n = 5 because a bootstrap interval excluded zero."""
    rng = np.random.default_rng(7)
    lengths = rng.integers(200, 400, n).astype(float)
    control = np.round(lengths * 0.02)
    candidate = control + rng.integers(5, 15, n)
    result = paired_comparison(control, lengths, candidate, lengths)
    assert result.p_value == pytest.approx(expected_p)
    assert result.verdict == verdict


def test_the_bca_interval_covers_a_skewed_truth_near_nominally_at_small_n():
    """Coverage over 300 simulated comparisons at n = 8 of a known delta: BCa stays near 95%."""
    rng = np.random.default_rng(11)
    truth, covered = 0.03, 0
    for trial in range(300):
        lengths = np.full(8, 300.0)
        control = rng.binomial(300, 0.05, 8).astype(float)
        candidate = rng.binomial(300, 0.05 + truth, 8).astype(float)
        result = paired_comparison(control, lengths, candidate, lengths, samples=1000, seed=trial)
        covered += result.delta_low <= truth <= result.delta_high
    assert covered / 300 >= 0.88


def test_holm_adjusts_a_family_of_p_values():
    assert holm_adjusted([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm_adjusted([]) == []
