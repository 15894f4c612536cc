"""Progressive rollouts: a gate climbs a schedule of shares (e.g. 1 → 5 → 25 → 50 → 100%) on its
own, one step at a time, and only on evidence from the traffic of the step it is on.

The service calls `Pilot.tick` for every gate periodically. On a scheduled gate a tick:
1. rolls back (kills the gate, audited with the findings) when a guardrail (`error_rate`,
   `latency_p95`) fails on the current step's traffic;
2. otherwise, once the step has lasted `dwell_minutes`, runs the ramp guard on the step's traffic
   (each category needs `min_pairs` pairs) and the benchmarks: all clear → the next step, as an
   ordinary guarded gate change by actor `schedule` with the findings in the audit log; evidence
   short or a check failing → the schedule waits, with the reason in its note (audited when it
   changes), and tries again on the next tick;
3. after the last step's dwell, the schedule is done.
A kill by anyone stops the schedule; operators can still change the gate by hand (the manual path),
and the next step then starts from wherever the gate stands.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from evaluation import labnotebook
from kernel.errors import GateConflictError, OcrInputError
from rollout.bucketing import BUCKETS, percent_to_bp
from rollout.gate_store import GateChange, change_gate, exposure_bp, get_gate, kill_gate, record_audit
from rollout.gates import DEFAULT_DWELL_MINUTES, DEFAULT_STEPS, GateConfig, Stage
from rollout.guard import EvidenceRules, RampGuard, guardrail_failures, window_evidence
from rollout.store import Store
from rollout.store.models import GateSchedule, ScheduleStatus, as_utc, utcnow

ACTOR = "schedule"


@dataclass(frozen=True)
class Schedule:
    gate: str
    steps_bp: tuple[int, ...]
    dwell_minutes: int
    min_pairs: int
    step: int
    step_started_at: datetime | None
    status: ScheduleStatus
    note: str | None

    @property
    def since(self) -> datetime | None:
        """When the current step began (its traffic is the evidence for the next); None before the first."""
        return as_utc(self.step_started_at) if self.step >= 0 and self.step_started_at else None

    def rules(self, rules: EvidenceRules) -> EvidenceRules:
        """The evidence rules of a step: the guard's, with this schedule's pairs per category."""
        return dataclasses.replace(rules, min_pairs=self.min_pairs)

    def next_step(self, exposure: int) -> int | None:
        """The index of the first step above the gate's current exposure (basis points), if any: a
        gate that an operator moved by hand goes on from where it stands."""
        return next((i for i, bp in enumerate(self.steps_bp) if bp > exposure and i > self.step), None)

    def describe(self) -> dict[str, Any]:
        return {
            "steps": [bp / 100 for bp in self.steps_bp],
            "dwell_minutes": self.dwell_minutes,
            "min_pairs": self.min_pairs,
            "step": self.step,
            "status": self.status.value,
            "note": self.note,
        }


def _to_schedule(row: GateSchedule) -> Schedule:
    return Schedule(
        row.gate,
        tuple(row.steps_bp),
        row.dwell_minutes,
        row.min_pairs,
        row.step,
        row.step_started_at,
        row.status,
        row.note,
    )


def ramp_to(share_bp: int) -> GateChange:
    """The gate change that takes the candidate to `share_bp` of units (100%: stage on)."""
    if share_bp == BUCKETS:
        return GateChange(stage=Stage.ON.value)
    return GateChange(stage=Stage.ROLLOUT.value, percent=share_bp / 100)


def _check_steps(steps: Iterable[float]) -> tuple[int, ...]:
    try:
        steps_bp = tuple(percent_to_bp(step) for step in steps)
    except ValueError as exc:
        raise OcrInputError(f"schedule steps: {exc}") from None
    if not steps_bp or any(b <= a for a, b in zip(steps_bp, steps_bp[1:], strict=False)) or steps_bp[0] == 0:
        raise OcrInputError("schedule steps must be increasing percentages above 0, e.g. 1 5 25 50 100")
    return steps_bp


def set_schedule(
    store: Store,
    gate: str,
    actor: str,
    steps: Iterable[float] = DEFAULT_STEPS,
    dwell_minutes: int = DEFAULT_DWELL_MINUTES,
    min_pairs: int | None = None,
    reason: str | None = None,
) -> Schedule:
    """Give `gate` a schedule (replacing any), starting before its first step; audited."""
    get_gate(store, gate)  # an unknown gate is refused here
    steps_bp = _check_steps(steps)
    if not 1 <= dwell_minutes <= 30 * 24 * 60:
        raise OcrInputError("dwell must be from 1 minute to 30 days")
    pairs = min_pairs if min_pairs is not None else EvidenceRules.from_settings().min_pairs
    if not 1 <= pairs <= 10_000_000:
        raise OcrInputError("minimum pairs per step must be from 1 to 10,000,000")
    with store.session() as session:
        row = session.get(GateSchedule, gate)
        before = _to_schedule(row).describe() if row else None
        if row is None:
            row = GateSchedule(gate=gate)
            session.add(row)
        row.steps_bp, row.dwell_minutes, row.min_pairs = list(steps_bp), dwell_minutes, pairs
        row.step, row.step_started_at, row.status, row.note = -1, None, ScheduleStatus.RUNNING, None
        row.updated_at = utcnow()
        session.flush()
        schedule = _to_schedule(row)
        record_audit(session, actor, "schedule", gate, before, schedule.describe(), reason)
    return schedule


def get_schedule(store: Store, gate: str) -> Schedule | None:
    with store.session() as session:
        row = session.get(GateSchedule, gate)
        return _to_schedule(row) if row else None


def _update(
    store: Store, schedule: Schedule, actor: str, action: str | None, reason: str | None, **changes: Any
) -> Schedule:
    """Write `changes` to the schedule if it is still as `schedule` says (another pilot may have
    moved it); audited as `action` when given."""
    with store.session() as session:
        row = session.get(GateSchedule, schedule.gate)
        if row is None or row.step != schedule.step or row.status != schedule.status:
            raise GateConflictError(f"the schedule of {schedule.gate!r} moved on meanwhile")
        for key, value in changes.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.flush()
        updated = _to_schedule(row)
        if action:
            record_audit(session, actor, action, schedule.gate, schedule.describe(), updated.describe(), reason)
    return updated


def stop_schedule(store: Store, gate: str, actor: str, reason: str | None = None) -> Schedule:
    schedule = get_schedule(store, gate)
    if schedule is None:
        raise OcrInputError(f"gate {gate!r} has no schedule")
    return _update(
        store, schedule, actor, "schedule-stop", reason, status=ScheduleStatus.STOPPED, note=f"stopped by {actor}"
    )


def _messages(findings: list[dict[str, Any]]) -> str:
    return "; ".join(f["message"] for f in findings)


class Pilot:
    """Moves scheduled gates along; one `tick(gate)` per gate per monitoring round."""

    def __init__(
        self,
        store: Store,
        notebook: Callable[[], list[dict]] = labnotebook.entries,
        rules: Callable[[], EvidenceRules] = EvidenceRules.from_settings,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.store, self.notebook, self.rules, self.clock = store, notebook, rules, clock

    def tick(self, gate: str) -> str | None:
        """One look at `gate`: "rolled back", "advanced", "waiting", "done", "stopped" or None (nothing to do)."""
        schedule = get_schedule(self.store, gate)
        if schedule is None or schedule.status not in (ScheduleStatus.RUNNING, ScheduleStatus.WAITING):
            return None
        config = get_gate(self.store, gate)
        try:
            if config.killed:
                _update(
                    self.store,
                    schedule,
                    ACTOR,
                    "schedule-stop",
                    "the gate was killed",
                    status=ScheduleStatus.STOPPED,
                    note="the gate was killed",
                )
                return "stopped"
            rules = schedule.rules(self.rules())
            now = self.clock()
            if schedule.since is not None and self._guardrail_failed(schedule, config, rules):
                return "rolled back"
            since = schedule.since
            if since is not None and now - since < timedelta(minutes=schedule.dwell_minutes):
                return None
            target = schedule.next_step(exposure_bp(config))
            if target is None:
                _update(self.store, schedule, ACTOR, "schedule-done", None, status=ScheduleStatus.DONE, note=None)
                return "done"
            return self._try_step(schedule, target, config, rules, now)
        except GateConflictError:
            return None  # another process moved the gate or the schedule first: look again next tick

    def _guardrail_failed(self, schedule: Schedule, config: GateConfig, rules: EvidenceRules) -> bool:
        summary, words = window_evidence(self.store, config.name, since=schedule.since)
        failed = guardrail_failures(summary, words, rules, config.categories)
        if not failed:
            return False
        share = schedule.steps_bp[schedule.step] / 100
        reason = f"guardrail failed at step {schedule.step + 1} ({share:g}%): " + _messages(failed)
        kill_gate(self.store, config.name, actor=ACTOR, reason=reason, findings=failed)
        _update(self.store, schedule, ACTOR, None, None, status=ScheduleStatus.ROLLED_BACK, note=reason)
        return True

    def _try_step(
        self, schedule: Schedule, target: int, config: GateConfig, rules: EvidenceRules, now: datetime
    ) -> str:
        target_bp = schedule.steps_bp[target]
        where = f"step {target + 1} of {len(schedule.steps_bp)} ({target_bp / 100:g}%)"
        change = ramp_to(target_bp)
        findings = RampGuard(self.store, self.notebook, rules, since=schedule.since)(config, config)
        blocking = [f for f in findings if not f["ok"]]
        if blocking:
            note = f"waiting for {where}: {_messages(blocking)}"
            if note != schedule.note or schedule.status is not ScheduleStatus.WAITING:
                _update(self.store, schedule, ACTOR, "schedule-wait", None, status=ScheduleStatus.WAITING, note=note)
            return "waiting"
        change_gate(
            self.store,
            config.name,
            change,
            actor=ACTOR,
            expected_version=config.version,
            reason=where,
            guard=lambda old, new: findings,
        )
        _update(
            self.store,
            schedule,
            ACTOR,
            None,
            None,
            step=target,
            step_started_at=now,
            status=ScheduleStatus.RUNNING,
            note=None,
        )
        return "advanced"
