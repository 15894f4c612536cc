"""Automatic rollback: kill a gate whose candidate serves traffic and breaks a guardrail.

Checked periodically by the service, for every gate whose candidate serves (rollout or on), over
the last WINDOW_HOURS of pairs:
- a **guardrail** of the ramp guard (`rollout.guard`: failure rate, p95 latency or labelled word
  accuracy, per category, with its evidence minimum and test) fails; or
- the **emergency brake**: the candidate failed on more than MAX_CANDIDATE_ERROR_RATE of at least
  BRAKE_PAIRS pairs, all categories together (a broken engine should not wait for the guard's
  evidence minimum).
The kill is an ordinary audited kill by actor `auto-rollback`, with the numbers in its reason and
the findings in the audit entry; an operator revives the gate by choosing a stage.
"""

from __future__ import annotations

from collections.abc import Callable

from rollout.gate_store import get_gate, kill_gate
from rollout.gates import Stage
from rollout.guard import EvidenceRules, guardrail_failures, window_evidence
from rollout.store import Store

MAX_CANDIDATE_ERROR_RATE = 0.20
BRAKE_PAIRS = 20
WINDOW_HOURS = 1.0


def check_and_roll_back(
    store: Store, gate: str, rules: Callable[[], EvidenceRules] = EvidenceRules.from_settings
) -> bool:
    """Kill `gate` if its serving candidate breaks a guardrail or the brake; returns whether it did."""
    config = get_gate(store, gate)
    if config.killed or config.stage in (Stage.OFF, Stage.SHADOW):
        return False
    summary, words = window_evidence(store, gate, hours=WINDOW_HOURS)
    failed = guardrail_failures(summary, words, rules(), config.categories)
    overall = summary.get("all")
    if failed:
        reason = "guardrail failed in the last {:g} h: {}".format(WINDOW_HOURS, "; ".join(f["message"] for f in failed))
    elif (
        overall
        and overall["pairs"] >= BRAKE_PAIRS
        and (overall["candidate_error_rate"] or 0) > MAX_CANDIDATE_ERROR_RATE
    ):
        reason = (
            f"candidate {config.candidate} failed on {overall['candidate_error_rate']:.1%} of "
            f"{overall['pairs']} pairs in the last {WINDOW_HOURS:g} h (limit {MAX_CANDIDATE_ERROR_RATE:.0%})"
        )
    else:
        return False
    kill_gate(store, gate, actor="auto-rollback", reason=reason, findings=failed or None)
    return True
