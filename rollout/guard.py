"""The ramp guard: raising a candidate's share needs evidence, per category, that it is not worse.

Every finding is one row of a table: source, check, category, n, the estimate with its interval, a
p-value where a test applies, and a verdict: `pass`, `fail`, `insufficient evidence` (both refuse
unless an operator overrides with a written reason) or `info` (shown, never refuses).

- **benchmark** (`accuracy`): the newest lab-notebook evaluation of each benchmark-set combination
  that scored both engines *at their current versions*. A non-inferiority rule per category: at
  least `min_pages` pages; `fail` when the paired verdict (exact sign-flip p, Holm-adjusted across
  categories, and a BCa interval that excludes zero: `evaluation.stats`) says the candidate is
  `worse`; `pass` only when the upper end of the 95% interval of Δ aligned CER (candidate −
  control) is below `margin`, i.e. a regression of `margin` or more is ruled out; otherwise
  `insufficient evidence` (more pages narrow the interval). A candidate truly worse by `margin`
  therefore passes a category at most ~2.5% of the time, at any number of pages.
- **traffic** over the window: each category needs `min_pairs` candidate pairs (`evidence`);
  then the guardrails: the candidate's failure rate may exceed the control's by `max_error_gap`
  only where a paired test cannot tell (`error_rate`, Holm-adjusted across categories), and its
  p95 latency fails `latency_p95` when the whole bootstrap interval of the ratio to the control's
  lies above `max_latency_ratio` and the excess is over `LATENCY_SLACK_MS`. The aligned
  disagreement against the A/A floor is shown as `info`: it says the engines read differently
  beyond noise, not which one is right.
- **labels** (`labelled_accuracy`): people's readings of sampled word crops say which one is: see
  `label_findings`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from engines.registry import get_engine
from evaluation import labnotebook
from evaluation.stats import ALPHA, holm_adjusted, verdict_of
from kernel.errors import OcrgateError
from kernel.settings import DEFAULT_GUARD_MARGIN, DEFAULT_GUARD_MIN_LABELS, load_settings
from rollout.gates import GateConfig
from rollout.store import Store
from rollout.store.models import utcnow
from rollout.traffic import traffic_summary
from rollout.truth import LabelledWord, labelled_accuracy, labelled_words

TRAFFIC_HOURS = 24.0
#: a p95 latency excess below this is not a regression, whatever the ratio (sub-millisecond engines)
LATENCY_SLACK_MS = 50.0
PASS, FAIL, INSUFFICIENT, INFO = "pass", "fail", "insufficient evidence", "info"
#: the checks whose failure on traffic a candidate already serves rolls the gate back
GUARDRAILS = frozenset({"error_rate", "latency_p95", "labelled_accuracy"})


@dataclass(frozen=True)
class EvidenceRules:
    """How much evidence a ramp needs and the guardrails it must hold (`OCRGATE_GUARD_*`)."""

    min_pages: int
    min_pairs: int
    max_error_gap: float
    max_latency_ratio: float
    min_labels: int = DEFAULT_GUARD_MIN_LABELS
    margin: float = DEFAULT_GUARD_MARGIN

    @classmethod
    def from_settings(cls) -> EvidenceRules:
        settings = load_settings()
        return cls(
            settings.guard_min_pages,
            settings.guard_min_pairs,
            settings.guard_max_error_gap,
            settings.guard_max_latency_ratio,
            settings.guard_min_labels,
            settings.guard_margin,
        )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else None


def finding(
    source: str,
    check: str,
    category: str,
    verdict: str,
    message: str,
    *,
    n: int | None = None,
    estimate: Any = None,
    low: Any = None,
    high: Any = None,
    p: Any = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One row of the guard's table; `ok` is False for `fail` and `insufficient evidence`."""
    return {
        "source": source,
        "check": check,
        "category": category,
        "verdict": verdict,
        "ok": verdict in (PASS, INFO),
        "n": n,
        "estimate": _number(estimate),
        "low": _number(low),
        "high": _number(high),
        "p": _number(p),
        "message": message,
        **(extra or {}),
    }


def _version(name: str) -> str | None:
    try:
        return get_engine(name).version
    except OcrgateError:
        return None


def _newest_evaluations(
    control: str, candidate: str, entries: list[dict[str, Any]], versions: dict[str, str | None]
) -> list[dict[str, Any]]:
    newest: dict[tuple, dict[str, Any]] = {}
    for entry in entries:
        if entry.get("kind") != "eval":
            continue
        engines = {e["name"]: e["version"] for e in entry.get("engines", [])}
        if engines.get(control) != versions[control] or engines.get(candidate) != versions[candidate]:
            continue
        verdicts = [v for v in entry.get("verdicts", []) if v["control"] == control and v["candidate"] == candidate]
        if verdicts:
            key = tuple(sorted(s["content_hash"] for s in entry.get("sets", [])))
            newest[key] = {**entry, "verdicts": verdicts}  # entries are in order: the last one wins
    return list(newest.values())


def benchmark_findings(
    control: str, candidate: str, entries: list[dict[str, Any]], rules: EvidenceRules
) -> list[dict[str, Any]]:
    versions = {control: _version(control), candidate: _version(candidate)}
    evaluations = _newest_evaluations(control, candidate, entries, versions)
    if not evaluations:
        return [
            finding(
                "benchmark",
                "accuracy",
                "all",
                INSUFFICIENT,
                f"no lab-notebook evaluation compares {candidate} {versions[candidate]} with {control} "
                f"{versions[control]}; run `ocrgate eval --engine {control} --engine {candidate} --set …` first",
                extra={"versions": versions},
            )
        ]
    findings = []
    for entry in evaluations:
        sets = "+".join(s["name"] for s in entry.get("sets", []))
        for verdict in entry["verdicts"]:
            category, n = verdict["category"], verdict.get("n")
            low, high = verdict.get("delta_ci95") or (None, None)
            where = f"{sets} #{entry['id']} {category}"
            common = {
                "n": n,
                "estimate": verdict["delta"],
                "low": low,
                "high": high,
                "p": verdict.get("p_adjusted", verdict.get("p_value")),
                "extra": {"experiment": entry["id"], "sets": sets},
            }
            if n is None or n < rules.min_pages:
                message = (
                    f"{where}: {n if n is not None else 'an unknown number of'} pages, fewer than the "
                    f"{rules.min_pages} the guard needs per category"
                )
                findings.append(finding("benchmark", "accuracy", category, INSUFFICIENT, message, **common))
                continue
            if verdict["verdict"] == "worse":
                outcome, why = FAIL, "candidate worse"
            elif high is None or high >= rules.margin:
                reach = "unknown" if high is None else f"{100 * high:+.2f} pt"
                outcome, why = (
                    INSUFFICIENT,
                    (
                        f"cannot rule out a regression of {100 * rules.margin:g} pt "
                        f"(the interval reaches {reach}; more pages narrow it)"
                    ),
                )
            else:
                outcome, why = PASS, f"candidate {verdict['verdict']}, at most {100 * high:+.2f} pt worse"
            message = f"{where}: {why} (Δ aligned error {100 * verdict['delta']:+.2f} pt, n = {n})"
            findings.append(finding("benchmark", "accuracy", category, outcome, message, **common))
    return findings


def _traffic_category(category: str, row: dict[str, Any], rules: EvidenceRules, error_p: float) -> list[dict]:
    pairs = row["pairs"]
    findings = []
    gap = row["error_gap"]
    too_many = gap["delta"] > rules.max_error_gap and error_p < ALPHA
    findings.append(
        finding(
            "traffic",
            "error_rate",
            category,
            FAIL if too_many else PASS,
            f"traffic {category}: candidate failures {row['candidate_error_rate']:.1%} vs control "
            f"{row['control_error_rate']:.1%} over {pairs} pairs (allowed excess {rules.max_error_gap:.1%})",
            n=pairs,
            estimate=gap["delta"],
            low=gap["delta_ci95"][0],
            high=gap["delta_ci95"][1],
            p=error_p,
        )
    )
    latency = row["latency_p95_ratio"]
    excess_ms = (row["candidate_latency_ms"]["p95"] or 0) - (row["control_latency_ms"]["p95"] or 0)
    # the whole interval over the limit (not noise), by enough milliseconds for anyone to notice
    slow = latency["low"] > rules.max_latency_ratio and excess_ms > LATENCY_SLACK_MS
    findings.append(
        finding(
            "traffic",
            "latency_p95",
            category,
            FAIL if slow else PASS,
            f"traffic {category}: candidate p95 latency {latency['value']:.2f}× the control's "
            f"[{latency['low']:.2f}, {latency['high']:.2f}] (limit {rules.max_latency_ratio:g}×)",
            n=pairs,
            estimate=latency["value"],
            low=latency["low"],
            high=latency["high"],
        )
    )
    aligned, floor, beyond = row["aligned_disagreement"], row["aa_floor"], row["beyond_floor"]
    if aligned:
        floor_text = f"A/A floor {floor['value']:.2%} over {floor['pairs']} pairs" if floor else "no A/A pairs yet"
        findings.append(
            finding(
                "traffic",
                "disagreement",
                category,
                INFO,
                f"traffic {category}: aligned disagreement {aligned['value']:.2%} "
                f"[{aligned['low']:.2%}, {aligned['high']:.2%}], {floor_text}",
                n=aligned["pairs"],
                estimate=beyond["value"] if beyond else aligned["value"],
                low=beyond["low"] if beyond else aligned["low"],
                high=beyond["high"] if beyond else aligned["high"],
            )
        )
    return findings


def traffic_findings(
    summary: dict[str, dict[str, Any]], rules: EvidenceRules, categories: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Evidence and guardrail findings for each category on traffic (only `categories` if given)."""
    rows = {c: r for c, r in summary.items() if c != "all" and (not categories or c in categories)}
    findings = []
    enough = {c: r for c, r in rows.items() if r["pairs"] >= rules.min_pairs}
    for category, row in rows.items():
        if category not in enough:
            findings.append(
                finding(
                    "traffic",
                    "evidence",
                    category,
                    INSUFFICIENT,
                    f"traffic {category}: {row['pairs']} pairs, fewer than the {rules.min_pairs} the guard needs",
                    n=row["pairs"],
                )
            )
    if not rows:
        findings.append(
            finding(
                "traffic",
                "evidence",
                "all",
                INSUFFICIENT,
                f"no paired traffic yet; shadow the candidate until each category has {rules.min_pairs} pairs",
            )
        )
    adjusted = holm_adjusted([r["error_gap"]["p_value"] for r in enough.values()])
    for (category, row), error_p in zip(enough.items(), adjusted, strict=True):
        findings += _traffic_category(category, row, rules, error_p)
    return findings


def label_findings(
    words: dict[str, list[LabelledWord]], rules: EvidenceRules, categories: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Labelled truth from traffic (rollout.truth): with `min_labels` words a category fails when
    the candidate's weighted word error is worse (paired test, Holm across categories); below that
    the numbers are shown but never refuse (labelling is an extra source, not a precondition)."""
    rows = {c: labelled_accuracy(w) for c, w in sorted(words.items()) if not categories or c in categories}
    enough = [c for c, row in rows.items() if row["words"] >= rules.min_labels]
    adjusted = dict(zip(enough, holm_adjusted([rows[c]["comparison"]["p_value"] for c in enough]), strict=True))
    findings = []
    for category, row in rows.items():
        comparison = row["comparison"]
        low, high = comparison["delta_ci95"]
        p = adjusted.get(category, comparison["p_value"])
        worse = category in adjusted and verdict_of(low, high, p) == "worse"
        verdict = FAIL if worse else PASS if category in adjusted else INFO
        message = (
            f"labels {category}: word accuracy {row['candidate']['value']:.1%} (candidate) vs "
            f"{row['control']['value']:.1%} (control) on {row['words']} labelled words"
            + ("" if category in adjusted else f", fewer than the {rules.min_labels} that can refuse")
        )
        findings.append(
            finding(
                "labels",
                "labelled_accuracy",
                category,
                verdict,
                message,
                n=row["words"],
                estimate=comparison["delta"],
                low=low,
                high=high,
                p=p,
            )
        )
    return findings


def window_evidence(
    store: Store, gate: str, since: datetime | None = None, hours: float = TRAFFIC_HOURS
) -> tuple[dict[str, dict[str, Any]], dict[str, list[LabelledWord]]]:
    """The gate's traffic summary and labelled words since `since` (else the last `hours`)."""
    with store.session() as session:
        summary = traffic_summary(session, gate, hours, since=since)
        words = labelled_words(session, gate, since or utcnow() - timedelta(hours=hours))
    return summary, words


def guardrail_failures(
    summary: dict[str, dict[str, Any]],
    words: dict[str, list[LabelledWord]],
    rules: EvidenceRules,
    categories: frozenset[str] = frozenset(),
) -> list[dict[str, Any]]:
    """The guardrail findings that fail on that traffic and those labels: what rolls a serving
    candidate back."""
    findings = traffic_findings(summary, rules, categories) + label_findings(words, rules, categories)
    return [f for f in findings if f["check"] in GUARDRAILS and f["verdict"] == FAIL]


class RampGuard:
    """The guard `change_gate` calls when a change raises the candidate's exposure."""

    def __init__(
        self,
        store: Store,
        notebook: Callable[[], list[dict]] = labnotebook.entries,
        rules: EvidenceRules | None = None,
        since: datetime | None = None,
    ):
        self.store = store
        self.notebook = notebook
        self.rules = rules or EvidenceRules.from_settings()
        self.since = since  # None: the last TRAFFIC_HOURS

    def __call__(self, old: GateConfig, new: GateConfig) -> list[dict[str, Any]]:
        findings = benchmark_findings(new.control, new.candidate, self.notebook(), self.rules)
        with self.store.session() as session:
            summary = traffic_summary(session, new.name, TRAFFIC_HOURS, since=self.since)
            words = labelled_words(session, new.name, self.since)
        return (
            findings
            + traffic_findings(summary, self.rules, new.categories)
            + label_findings(words, self.rules, new.categories)
        )
