"""Is it safe to ramp? The evidence behind a gate's next step, per category, and the guard's verdict.

The next step is the gate's schedule's (while it runs or waits), else the next of the default steps
(1 → 5 → 25 → 50 → 100%) above the candidate's current share. The verdict is the ramp guard run
exactly as that step would run it: a schedule's step on the traffic since its current step began,
with the schedule's pairs per category; a manual step on the last day's traffic. The evidence table
shows the numbers of that same window, so what the verdict judged is what the page shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from evaluation import labnotebook
from kernel.errors import OcrInputError
from rollout.bucketing import percent_to_bp
from rollout.gate_store import GateChange, exposure_bp, preview_change
from rollout.gates import DEFAULT_STEPS, GateConfig
from rollout.guard import TRAFFIC_HOURS, EvidenceRules, RampGuard, benchmark_findings
from rollout.schedule import Schedule, ramp_to
from rollout.store import Store
from rollout.store.models import ScheduleStatus
from rollout.traffic import traffic_summary
from rollout.truth import labelled_accuracy, labelled_words

#: a schedule in these states takes the next step itself
ACTIVE = (ScheduleStatus.RUNNING, ScheduleStatus.WAITING)


@dataclass(frozen=True)
class NextStep:
    percent: float
    scheduled: bool  # the schedule's step (else the next default step)
    rules: EvidenceRules
    since: datetime | None  # the guard's traffic window starts here; None: the last TRAFFIC_HOURS

    @property
    def change(self) -> GateChange:
        return ramp_to(percent_to_bp(self.percent))

    @property
    def window(self) -> str:
        if self.since is None:
            return f"the last {TRAFFIC_HOURS:g} hours"
        return f"since this step began ({self.since:%Y-%m-%d %H:%M} UTC)"


def next_step(config: GateConfig, schedule: Schedule | None, rules: EvidenceRules) -> NextStep | None:
    """The share the gate would go to next, and how the guard judges it; None at 100%."""
    exposure = exposure_bp(config)
    if schedule is not None and schedule.status in ACTIVE:
        index = schedule.next_step(exposure)
        if index is None:
            return None
        return NextStep(schedule.steps_bp[index] / 100, True, schedule.rules(rules), schedule.since)
    share = next((step for step in DEFAULT_STEPS if percent_to_bp(step) > exposure), None)
    return None if share is None else NextStep(share, False, rules, None)


@dataclass(frozen=True)
class Verdict:
    step: NextStep | None
    findings: list[dict[str, Any]]
    safe: bool
    because: str


def verdict(
    store: Store, config: GateConfig, step: NextStep | None, notebook: Callable[[], list[dict]] = labnotebook.entries
) -> Verdict:
    """The ramp guard's findings for `step` and what they add up to."""
    if step is None:
        return Verdict(None, [], False, "the candidate already serves all traffic")
    guard = RampGuard(store, notebook, step.rules, since=step.since)
    try:
        findings = preview_change(store, config.name, step.change, guard)[2]
    except OcrInputError as exc:
        return Verdict(step, [], False, str(exc))
    blocking = [f for f in findings if not f["ok"]]
    if blocking:
        return Verdict(step, findings, False, "; ".join(f"{f['verdict']}: {f['message']}" for f in blocking))
    return Verdict(step, findings, True, "every check passes or is only informative")


def evidence(
    store: Store,
    config: GateConfig,
    rules: EvidenceRules,
    since: datetime | None,
    notebook: Callable[[], list[dict]] = labnotebook.entries,
) -> list[dict[str, Any]]:
    """Per category: the benchmark findings (newest evaluation at the current versions), the traffic
    summary of the guard's window, and both engines' labelled word accuracy."""
    bench = benchmark_findings(config.control, config.candidate, notebook(), rules)
    with store.session() as session:
        traffic = traffic_summary(session, config.name, TRAFFIC_HOURS, since=since)
        words = labelled_words(session, config.name, since)
    categories = sorted({f["category"] for f in bench} | set(traffic) | set(words), key=lambda c: (c == "all", c))
    return [
        {
            "category": category,
            "benchmark": [f for f in bench if f["category"] == category],
            "traffic": traffic.get(category),
            "labels": labelled_accuracy(words[category]) if category in words else None,
        }
        for category in categories
    ]
