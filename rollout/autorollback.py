"""Automatic rollback: kill a gate whose candidate fails too often on live traffic.

Checked periodically by the service. The kill is an ordinary audited kill by actor
`auto-rollback`, with the numbers in its reason; an operator revives the gate by choosing a stage.
"""

from __future__ import annotations

from rollout.gate_store import get_gate, kill_gate
from rollout.gates import Stage
from rollout.store import Store
from rollout.traffic import traffic_summary

MIN_PAIRS = 20
MAX_CANDIDATE_ERROR_RATE = 0.20
WINDOW_HOURS = 1.0


def check_and_roll_back(store: Store, gate: str, *, min_pairs: int = MIN_PAIRS,
                        max_error_rate: float = MAX_CANDIDATE_ERROR_RATE, hours: float = WINDOW_HOURS) -> bool:
    """Kill `gate` if its candidate serves traffic and failed on more than `max_error_rate` of the
    last `hours` of pairs (at least `min_pairs`); returns whether it did."""
    config = get_gate(store, gate)
    if config.killed or config.stage in (Stage.OFF, Stage.SHADOW):
        return False
    with store.session() as session:
        row = traffic_summary(session, gate, hours).get("all")
    if not row or row["pairs"] < min_pairs or (row["candidate_error_rate"] or 0) <= max_error_rate:
        return False
    kill_gate(store, gate, actor="auto-rollback",
              reason=f"candidate {config.candidate} failed on {row['candidate_error_rate']:.1%} of "
                     f"{row['pairs']} pairs in the last {hours:g} h (limit {max_error_rate:.0%})")
    return True
