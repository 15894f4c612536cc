"""Bucketing is sticky and monotone; gate decisions follow the stages, lists and targeting."""

from __future__ import annotations

import pytest

from rollout.bucketing import BUCKETS, bucket, percent_to_bp
from rollout.gates import GateConfig, Stage, decide

UNITS = [f"user-{n}" for n in range(100_000)]


def test_assignment_is_sticky():
    assert [bucket("salt", u) for u in UNITS[:1000]] == [bucket("salt", u) for u in UNITS[:1000]]
    assert bucket("salt", "user-1") != bucket("other-salt", "user-1") or bucket("salt", "user-2") != bucket(
        "other-salt", "user-2")


# Buckets computed by the function as shipped: a unit's assignment must never move, so any change of
# hash, separator, digest size or modulus fails here (and would reshuffle every running rollout).
GOLDEN = [("", "", 7161), ("salt", "user-1", 4012), ("ocr-engine-salt", "user-42", 9166),
          ("3f9a1c2b7d4e5f60", "team:billing", 7948), ("3f9a1c2b7d4e5f60:shadow", "req-0001", 144),
          ("3f9a1c2b7d4e5f60:aa", "req-0001", 6963), ("s", "ünïcødé ✓", 3479)]


@pytest.mark.parametrize(("salt", "key", "expected"), GOLDEN)
def test_bucket_golden_values(salt, key, expected):
    assert bucket(salt, key) == expected


def test_gate_decisions_use_the_golden_buckets():
    """The gates place units with the same function: bucket 4012 is in at 40.13% and out at 40.12%."""
    def served_candidate(percent_bp: int) -> bool:
        config = gate(stage=Stage.ROLLOUT, salt="salt", percent_bp=percent_bp, aa_bp=0)
        return decide(config, "user-1", "c", "r").candidate_serves

    assert served_candidate(4013) and not served_candidate(4012)


@pytest.mark.parametrize("percent", [0.01, 1, 5, 10, 25, 50, 90, 99.99])
def test_share_is_within_half_a_point(percent):
    bp = percent_to_bp(percent)
    share = sum(bucket("ocr-engine-salt", u) < bp for u in UNITS) / len(UNITS)
    assert abs(share - percent / 100) <= 0.005


def test_raising_the_percentage_only_adds_units():
    buckets = [bucket("s", u) for u in UNITS]
    previous: set[str] = set()
    for percent in (1, 5, 10, 25, 50, 75, 100):
        bp = percent_to_bp(percent)
        current = {u for u, b in zip(UNITS, buckets, strict=True) if b < bp}
        assert previous <= current
        previous = current
    assert len(previous) == len(UNITS)


def test_granularity_is_a_hundredth_of_a_percent():
    assert percent_to_bp(0.01) == 1 and percent_to_bp(100) == BUCKETS
    for bad in (0.001, -1, 100.01, float("nan"), float("inf"), float("-inf"), 1e308, -1e308, "50", True):
        with pytest.raises(ValueError):
            percent_to_bp(bad)


def gate(**overrides) -> GateConfig:
    return GateConfig(**{"name": "g", "control": "ctl", "candidate": "cand", "salt": "s", **overrides})


def test_off_and_kill_serve_control_without_shadow():
    for config in (gate(stage=Stage.OFF), gate(stage=Stage.ON, killed=True),
                   gate(stage=Stage.ROLLOUT, percent_bp=BUCKETS, killed=True)):
        decision = decide(config, "u", "c", "r")
        assert (decision.serve, decision.background) == ("ctl", ())


def _lanes(decision) -> set[tuple[str, str]]:
    return {(run.engine, run.role.value) for run in decision.background}


@pytest.mark.parametrize("shadow_bp", [0, 2_000, BUCKETS])
def test_shadow_and_aa_lanes_run_at_their_own_shares(shadow_bp):
    """The A/A lane's share holds whatever the shadow share (at 100% shadow it used to be 0)."""
    config = gate(stage=Stage.SHADOW, shadow_bp=shadow_bp, aa_bp=500)
    decisions = [decide(config, f"u{n}", "c", f"req{n}") for n in range(20_000)]
    assert all(d.serve == "ctl" for d in decisions)
    shadowed = sum(("cand", "candidate") in _lanes(d) for d in decisions) / len(decisions)
    aa = sum(("ctl", "aa") in _lanes(d) for d in decisions) / len(decisions)
    assert abs(shadowed - shadow_bp / BUCKETS) < 0.015
    assert abs(aa - 0.05) < 0.006  # binomial sd at n=20,000 is 0.0015


def test_rollout_serves_the_candidate_to_its_share_of_units_and_shadows_the_control():
    config = gate(stage=Stage.ROLLOUT, percent_bp=1_000, aa_bp=0)
    decisions = {u: decide(config, u, "c", "r-" + u) for u in UNITS[:20_000]}
    served_candidate = [u for u, d in decisions.items() if d.candidate_serves]
    assert abs(len(served_candidate) / 20_000 - 0.10) < 0.01
    assert all(_lanes(decisions[u]) == {("ctl", "control")} for u in served_candidate)
    again = [u for u in UNITS[:20_000] if decide(config, u, "c", "another-request").candidate_serves]
    assert again == served_candidate  # per unit, not per request


def test_lists_and_category_targeting():
    config = gate(stage=Stage.ROLLOUT, percent_bp=0, allow_units=frozenset({"vip"}),
                  deny_units=frozenset({"nope"}), categories=frozenset({"screenshots"}))
    assert decide(config, "vip", "screenshots", "r").serve == "cand"
    assert decide(config, "vip", "receipts", "r").serve == "ctl"      # not targeted
    full = gate(stage=Stage.ON, deny_units=frozenset({"nope"}))
    assert decide(full, "nope", "x", "r").serve == "ctl"
    assert decide(full, "someone", "x", "r").serve == "cand"
