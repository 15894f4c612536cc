"""The ramp guard: raising a candidate's share needs evidence that it is not worse.

Two sources, each giving findings with their numbers:
- **benchmarks**: the newest lab-notebook evaluation of each benchmark-set combination that scored
  both engines *at their current versions*; any category where the paired verdict says the
  candidate is `worse` refuses. No such evaluation at all refuses too (no evidence, no ramp).
- **traffic**: on the gate's recent paired traffic, the candidate's error rate (failures and
  timeouts) may not exceed the control's by more than `MAX_ERROR_GAP` once a category has
  `MIN_PAIRS` pairs.
An operator can override a refusal with a written reason; the findings and the reason go to the
audit log.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engines.registry import get_engine
from evaluation import labnotebook
from kernel.errors import OcrgateError
from rollout.gates import GateConfig
from rollout.store import Store
from rollout.traffic import MIN_PAIRS, traffic_summary

MAX_ERROR_GAP = 0.02
TRAFFIC_HOURS = 24.0


def _version(name: str) -> str | None:
    try:
        return get_engine(name).version
    except OcrgateError:
        return None


def benchmark_findings(control: str, candidate: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    versions = {control: _version(control), candidate: _version(candidate)}
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
    if not newest:
        return [
            {
                "source": "benchmark",
                "ok": False,
                "category": "all",
                "numbers": {"versions": versions},
                "message": f"no lab-notebook evaluation compares {candidate} {versions[candidate]} with "
                f"{control} {versions[control]}; run `ocrgate eval --engine {control} "
                f"--engine {candidate} --set …` first",
            }
        ]
    findings = []
    for entry in newest.values():
        sets = "+".join(s["name"] for s in entry.get("sets", []))
        for verdict in entry["verdicts"]:
            worse = verdict["verdict"] == "worse"
            findings.append(
                {
                    "source": "benchmark",
                    "ok": not worse,
                    "category": verdict["category"],
                    "numbers": {
                        "experiment": entry["id"],
                        "sets": sets,
                        "delta": verdict["delta"],
                        "verdict": verdict["verdict"],
                    },
                    "message": f"{sets} #{entry['id']} {verdict['category']}: candidate {verdict['verdict']} "
                    f"(Δ error {verdict['delta']:+.4f})",
                }
            )
    return findings


def traffic_findings(summary: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    findings = []
    for category, row in summary.items():
        if row["pairs"] < MIN_PAIRS:
            continue
        gap = (row["candidate_error_rate"] or 0) - (row["control_error_rate"] or 0)
        findings.append(
            {
                "source": "traffic",
                "ok": gap <= MAX_ERROR_GAP,
                "category": category,
                "numbers": {
                    k: row[k]
                    for k in ("pairs", "candidate_error_rate", "control_error_rate", "mean_cer_between", "aa_mean_cer")
                },
                "message": f"traffic {category}: candidate errors {row['candidate_error_rate']:.1%} vs control "
                f"{row['control_error_rate']:.1%} over {row['pairs']} pairs",
            }
        )
    return findings


class RampGuard:
    def __init__(self, store: Store, notebook: Callable[[], list[dict]] = labnotebook.entries):
        self.store = store
        self.notebook = notebook

    def __call__(self, old: GateConfig, new: GateConfig) -> list[dict[str, Any]]:
        findings = benchmark_findings(new.control, new.candidate, self.notebook())
        with self.store.session() as session:
            findings += traffic_findings(traffic_summary(session, new.name, TRAFFIC_HOURS))
        return findings
