"""Automatic rollback: kill a gate whose candidate fails too often on live traffic.

Checked periodically by the service. The kill is an ordinary audited kill by actor
`auto-rollback`, with the numbers in its reason; an operator revives the gate by choosing a stage.
"""

from __future__ import annotations

from rollout.gate_store import get_gate, kill_gate
from rollout.gates import Stage
from rollout.store import Store
from rollout.traffic import MIN_PAIRS, traffic_summary

MAX_CANDIDATE_ERROR_RATE = 0.20
WINDOW_HOURS = 1.0


def check_and_roll_back(store: Store, gate: str) -> bool:
    """Kill `gate` if its candidate serves traffic and failed on more than MAX_CANDIDATE_ERROR_RATE of
    the last WINDOW_HOURS of pairs (at least MIN_PAIRS); returns whether it did."""
    config = get_gate(store, gate)
    if config.killed or config.stage in (Stage.OFF, Stage.SHADOW):
        return False
    with store.session() as session:
        row = traffic_summary(session, gate, WINDOW_HOURS).get("all")
    if not row or row["pairs"] < MIN_PAIRS or (row["candidate_error_rate"] or 0) <= MAX_CANDIDATE_ERROR_RATE:
        return False
    kill_gate(
        store,
        gate,
        actor="auto-rollback",
        reason=f"candidate {config.candidate} failed on {row['candidate_error_rate']:.1%} of "
        f"{row['pairs']} pairs in the last {WINDOW_HOURS:g} h (limit {MAX_CANDIDATE_ERROR_RATE:.0%})",
    )
    return True
