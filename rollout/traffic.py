"""Scoring live traffic: per category, how the paired outputs agree, against the A/A noise lane.

The A/A lane runs the control twice on a small share of requests; its disagreement is the
noise floor (nondeterminism, timeouts). A candidate's disagreement with the control only means
something once it is compared with that floor: both are the position-aligned disagreement
(`rollout.agreement`), pooled over the category's pairs (edits / control characters) with a
bootstrap interval over pairs, and `beyond_floor` is the interval of their difference.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import mean, median
from typing import Any, cast

from sqlalchemy.orm import Session

from evaluation.stats import (
    bootstrap_quantile_ratio,
    bootstrap_ratio,
    bootstrap_ratio_difference,
    paired_comparison,
)
from rollout.pairs import paired_runs
from rollout.store.models import EngineRun, Pair, utcnow

#: the served-latency guardrail compares this quantile of the two engines' latencies
LATENCY_QUANTILE = 0.95


def percentile(values: list[float], q: float) -> float | None:
    """The `q` quantile of `values` (nearest rank), the one the latency columns and charts show."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _error_rate(runs: list[EngineRun]) -> float | None:
    return sum(r.error is not None for r in runs) / len(runs) if runs else None


def _aligned(pairs: list[Pair]) -> tuple[list[int], list[int]]:
    scored = [p for p in pairs if p.aligned_errors is not None and p.aligned_length is not None]
    return [cast(int, p.aligned_errors) for p in scored], [cast(int, p.aligned_length) for p in scored]


def _interval(value: tuple[float, float, float], n: int) -> dict[str, Any] | None:
    return {"value": value[0], "low": value[1], "high": value[2], "pairs": n} if n else None


def aligned_evidence(candidate: list[Pair], aa: list[Pair]) -> dict[str, Any]:
    """The category's aligned disagreement, its A/A floor, and the difference, each with a 95% interval."""
    errors, lengths = _aligned(candidate)
    aa_errors, aa_lengths = _aligned(aa)
    both = bool(errors) and bool(aa_errors)
    return {
        "aligned_disagreement": _interval(bootstrap_ratio(errors, lengths), len(errors)),
        "aa_floor": _interval(bootstrap_ratio(aa_errors, aa_lengths), len(aa_errors)),
        "beyond_floor": _interval(bootstrap_ratio_difference(errors, lengths, aa_errors, aa_lengths), len(errors))
        if both
        else None,
    }


def guardrail_evidence(control_runs: list[EngineRun], candidate_runs: list[EngineRun]) -> dict[str, Any]:
    """On the same requests: the candidate's failure rate minus the control's (paired test and
    interval) and the ratio of their p95 latencies (with a bootstrap interval)."""
    if not control_runs:
        return {"error_gap": None, "latency_p95_ratio": None}
    control_failed = [float(r.error is not None) for r in control_runs]
    candidate_failed = [float(r.error is not None) for r in candidate_runs]
    ones = [1.0] * len(control_runs)
    ratio = bootstrap_quantile_ratio(
        [r.latency_ms for r in candidate_runs], [r.latency_ms for r in control_runs], LATENCY_QUANTILE
    )
    return {
        "error_gap": paired_comparison(control_failed, ones, candidate_failed, ones).as_dict(),
        "latency_p95_ratio": _interval(ratio, len(control_runs)),
    }


def pair_rows(session: Session, gate: str, since: datetime) -> list[tuple[Pair, EngineRun, EngineRun]]:
    """(pair, control run, candidate run) of `gate` since `since`, oldest first."""
    query = paired_runs().where(Pair.gate == gate, Pair.created_at >= since).order_by(None).order_by(Pair.created_at)
    return [
        cast("tuple[Pair, EngineRun, EngineRun]", (pair, control, candidate))
        for pair, control, candidate, _ in session.execute(query)
    ]


@dataclass(frozen=True)
class RunSample:
    """One engine run of a candidate pair, for charts over time."""

    at: datetime
    side: str  # control | candidate
    failed: bool
    latency_ms: float


def run_samples(session: Session, gate: str, since: datetime) -> list[RunSample]:
    """Both runs of each of `gate`'s candidate pairs since `since`, oldest first."""
    samples = []
    for pair, control, candidate in pair_rows(session, gate, since):
        if pair.kind == "candidate":
            samples += [
                RunSample(pair.created_at, side, run.error is not None, run.latency_ms)
                for side, run in (("control", control), ("candidate", candidate))
            ]
    return samples


def traffic_summary(
    session: Session, gate: str, hours: float = 24.0, since: datetime | None = None
) -> dict[str, dict[str, Any]]:
    """Per category (and `all`): pair counts, agreement, A/A noise, error rates, latencies, over the
    last `hours` or from `since` (e.g. the start of a rollout step)."""
    since = since or utcnow() - timedelta(hours=hours)
    groups: dict[str, list] = defaultdict(list)
    for row in pair_rows(session, gate, since):
        groups[row[0].category].append(row)
        groups["all"].append(row)
    summary = {}
    for category, rows in sorted(groups.items()):
        candidate = [r for r in rows if r[0].kind == "candidate"]
        aa = [r for r in rows if r[0].kind == "aa"]

        control_runs = [control for _, control, _ in candidate]
        candidate_runs = [cand for _, _, cand in candidate]
        cers = [p.cer_between for p, _, _ in candidate if p.cer_between is not None]
        aa_cers = [p.cer_between for p, _, _ in aa if p.cer_between is not None]
        deltas = [p.confidence_delta for p, _, _ in candidate if p.confidence_delta is not None]
        summary[category] = {
            "pairs": len(candidate),
            "aa_pairs": len(aa),
            "mean_cer_between": mean(cers) if cers else None,
            "median_cer_between": median(cers) if cers else None,
            "exact_share": sum(p.exact_match for p, _, _ in candidate) / len(candidate) if candidate else None,
            "aa_mean_cer": mean(aa_cers) if aa_cers else None,
            "mean_confidence_delta": mean(deltas) if deltas else None,
            **aligned_evidence([p for p, _, _ in candidate], [p for p, _, _ in aa]),
            **guardrail_evidence(control_runs, candidate_runs),
            "control_error_rate": _error_rate(control_runs),
            "candidate_error_rate": _error_rate(candidate_runs),
            "control_latency_ms": {
                q: percentile([r.latency_ms for r in control_runs], v) for q, v in (("p50", 0.5), ("p95", 0.95))
            },
            "candidate_latency_ms": {
                q: percentile([r.latency_ms for r in candidate_runs], v) for q, v in (("p50", 0.5), ("p95", 0.95))
            },
        }
    return summary
