"""Ramp simulation: how often the ramp guard stops a truly worse candidate, and lets a truly equal or
better one through, over many simulated gates with known truth.

    .venv/bin/python benchmarks/ramp_simulation.py [--runs 400] [--seed 1]

Writes benchmarks/results/ramp_simulation.json. Every decision is made by the real code: verdict rows
by `evaluation.results.compare_categories` (BCa intervals, exact/Monte Carlo sign-flip p, Holm), the
benchmark rule by `rollout.guard.benchmark_findings`, the traffic guardrails by
`rollout.traffic.guardrail_evidence` + `rollout.guard.traffic_findings`, with the evidence rules of
`kernel.settings` (margin, minimum pages and pairs).

The world of one simulated gate:
- **Benchmark pages** per category are drawn (with replacement) from the in-house engine's real
  pages on the train set (`eval_train_pages.json`: per-page aligned errors and lengths). That engine
  is the control. The candidate's page error rate is the control's plus the category's true Δ plus a
  page-level spread: `empirical` re-uses Tesseract's real per-page differences from the in-house
  engine on the same pages (centred on zero; the two engines read very differently), `tau=X` is a
  normal spread of sd X (a retrained model reads much like its parent). Errors are binomial in the
  page length.
- **Truth**: `worse` — one category (at random) truly worse by the margin (2 points of aligned
  CER), the other equal; `equal`; `better` — one category better by 2 points.
- **Schedule** 1 → 5 → 25 → 50 → 100%: before each step the guard looks at the benchmark (fixed for
  the gate) and a fresh step of traffic with the minimum pairs per category (both engines fail
  0.5% of requests, latencies from the same log-normal). A step is taken only when no finding
  fails or lacks evidence; a gate that cannot take a step waits (it never reaches the next share).

Reported per scenario: the share of worse candidates held before 25% (target ≥ 95%) and the share of
equal/better candidates that complete the schedule (target ≥ 80%), with 95% Wilson intervals.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.results import ALL, compare_categories  # noqa: E402
from rollout.guard import EvidenceRules, benchmark_findings, traffic_findings  # noqa: E402
from rollout.store.models import EngineRun  # noqa: E402
from rollout.traffic import guardrail_evidence  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PAGES = RESULTS / "eval_train_pages.json"
STEPS = (1, 5, 25, 50, 100)
FAILURE_RATE = 0.005
CONTROL, CANDIDATE = "control", "candidate"


def load_pages() -> dict[str, dict[str, np.ndarray]]:
    """Per category: the control's (errors, length) and Tesseract's per-page rate difference."""
    pages = json.loads(PAGES.read_text())["pages"]
    out: dict[str, dict[str, np.ndarray]] = {}
    for category in sorted({p["category"] for p in pages}):
        rows = [p for p in pages if p["category"] == category]
        errors = np.array([p["inhouse"]["aligned_errors"] for p in rows], float)
        length = np.array([max(p["inhouse"]["reference_chars"], 1) for p in rows], float)
        other = np.array([p["tesseract"]["aligned_errors"] / max(p["tesseract"]["reference_chars"], 1) for p in rows])
        difference = other - errors / length
        out[category] = {"errors": errors, "length": length, "difference": difference - difference.mean()}
    return out


def benchmark_entry(rng, pages, n_pages: int, truth: dict[str, float], spread: str) -> dict:
    parts = {}
    all_a, all_b = [], []
    for category, data in pages.items():
        pick = rng.integers(0, data["length"].size, n_pages)
        length = data["length"][pick]
        control_rate = data["errors"][pick] / length
        if spread == "empirical":
            noise = data["difference"][rng.integers(0, data["difference"].size, n_pages)]
        else:
            noise = rng.normal(0.0, float(spread.split("=")[1]), n_pages)
        candidate_rate = np.clip(control_rate + truth[category] + noise, 0.0, 1.0)
        a = np.column_stack([data["errors"][pick], length])
        b = np.column_stack([rng.binomial(length.astype(int), candidate_rate), length])
        parts[category] = (a, b)
        all_a.append(a)
        all_b.append(b)
    parts[ALL] = (np.vstack(all_a), np.vstack(all_b))
    verdicts = compare_categories(parts, CONTROL, CANDIDATE, "aligned_cer")
    return {"id": 1, "kind": "eval", "sets": [{"name": "sim", "content_hash": "sim"}],
            "engines": [{"name": CONTROL, "version": None}, {"name": CANDIDATE, "version": None}],
            "verdicts": verdicts}


def traffic_summary(rng, categories, pairs: int) -> dict[str, dict]:
    summary = {}
    for category in categories:
        control = [EngineRun(error="x" if rng.random() < FAILURE_RATE else None,
                             latency_ms=float(rng.lognormal(7.5, 0.5))) for _ in range(pairs)]
        candidate = [EngineRun(error="x" if rng.random() < FAILURE_RATE else None,
                               latency_ms=float(rng.lognormal(7.5, 0.5))) for _ in range(pairs)]
        summary[category] = {
            "pairs": pairs,
            "control_error_rate": sum(r.error is not None for r in control) / pairs,
            "candidate_error_rate": sum(r.error is not None for r in candidate) / pairs,
            "control_latency_ms": {"p95": float(np.quantile([r.latency_ms for r in control], 0.95))},
            "candidate_latency_ms": {"p95": float(np.quantile([r.latency_ms for r in candidate], 0.95))},
            "aligned_disagreement": None, "aa_floor": None, "beyond_floor": None,
            **guardrail_evidence(control, candidate),
        }
    return summary


def simulate_gate(rng, pages, rules: EvidenceRules, truth_kind: str, n_pages: int, spread: str) -> int:
    """The highest share (percent) the gate reached: 0 if it never took the first step."""
    categories = list(pages)
    truth = {c: 0.0 for c in categories}
    if truth_kind != "equal":
        truth[categories[rng.integers(0, len(categories))]] = rules.margin * (1 if truth_kind == "worse" else -1)
    entry = benchmark_entry(rng, pages, n_pages, truth, spread)
    bench = benchmark_findings(CONTROL, CANDIDATE, [entry], rules)
    if any(not f["ok"] for f in bench):
        return 0
    reached = 0
    for step in STEPS:
        findings = traffic_findings(traffic_summary(rng, categories, rules.min_pairs), rules)
        if any(not f["ok"] for f in findings):
            return reached
        reached = step
    return reached


def wilson(successes: int, n: int) -> list[float]:
    z = 1.96
    centre = (successes + z * z / 2) / (n + z * z)
    half = z * math.sqrt(successes * (n - successes) / n + z * z / 4) / (n + z * z)
    return [round(centre - half, 4), round(centre + half, 4)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=400, help="simulated gates per scenario and truth")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rules = EvidenceRules.from_settings()
    pages = load_pages()
    scenarios = [("empirical", n) for n in (rules.min_pages, 50, 200, 400)] + \
                [(f"tau={tau}", n) for tau in (0.02, 0.05) for n in (20, rules.min_pages, 50, 150)]
    started = time.perf_counter()
    rows = []
    for spread, n_pages in scenarios:
        rng = np.random.default_rng([args.seed, n_pages, len(rows)])
        row = {"spread": spread, "benchmark_pages_per_category": n_pages}
        for truth_kind in ("worse", "equal", "better"):
            reached = [simulate_gate(rng, pages, rules, truth_kind, n_pages, spread) for _ in range(args.runs)]
            if truth_kind == "worse":
                held = sum(r < 25 for r in reached)
                row["worse_held_before_25"] = {"share": held / args.runs, "ci95": wilson(held, args.runs)}
            else:
                done = sum(r == 100 for r in reached)
                row[f"{truth_kind}_completed"] = {"share": done / args.runs, "ci95": wilson(done, args.runs)}
        rows.append(row)
        print(json.dumps(row), flush=True)
    result = {
        "command": f"python benchmarks/ramp_simulation.py --runs {args.runs} --seed {args.seed}",
        "targets": {"worse_held_before_25": 0.95, "equal_completed": 0.80},
        "evidence_rules": {"margin": rules.margin, "min_pages": rules.min_pages, "min_pairs": rules.min_pairs,
                           "max_error_gap": rules.max_error_gap, "max_latency_ratio": rules.max_latency_ratio},
        "categories": list(pages),
        "scenarios": rows,
        "seconds": round(time.perf_counter() - started, 1),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "ramp_simulation.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
