"""Audit entries as a person reads them: what changed, in a few lines, and the guard's findings.

Gate entries (create, change, override, kill, ramp-refused) show the settings that changed and, when
the guard ran, its findings; schedule, consent and label entries say what happened in words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rollout.store.models import AuditEntry

GATE_FIELDS = (
    "stage",
    "percent",
    "killed",
    "control",
    "candidate",
    "shadow_percent",
    "aa_percent",
    "allow_units",
    "deny_units",
    "categories",
)


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    lines: list[str]
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def refused(self) -> int:
        return sum(not f["ok"] for f in self.findings)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    return str(value)


def _gate_lines(before: dict | None, after: dict | None) -> list[str]:
    if before and after and "stage" in after:
        return [
            f"{key}: {_shown(before.get(key))} → {_shown(after.get(key))}"
            for key in GATE_FIELDS
            if key in after and before.get(key) != after.get(key)
        ]
    if after and "stage" in after:
        return [f"{after['stage']} {after.get('control')}/{after.get('candidate')}"]
    return []


def _schedule_lines(entry: AuditEntry) -> list[str]:
    schedule = entry.after or {}
    steps = " → ".join(f"{step:g}%" for step in schedule.get("steps", []))
    if entry.action == "schedule":
        return [
            f"schedule {steps}",
            f"dwell {schedule.get('dwell_minutes')} min, {schedule.get('min_pairs')} pairs per category per step",
        ]
    at = schedule.get("step", -1)
    where = "not started" if at < 0 else f"at step {at + 1} of {steps}"
    return [f"schedule {schedule.get('status')}, {where}"] + ([schedule["note"]] if schedule.get("note") else [])


def _consent_lines(entry: AuditEntry) -> list[str]:
    granted = entry.action == "consent"
    consent = (entry.after if granted else entry.before) or {}
    return [
        f"labelling consent {'granted' if granted else 'withdrawn'}: {consent.get('kind')} {consent.get('value')!r}"
    ]


def _label_lines(entry: AuditEntry) -> list[str]:
    label = entry.after or {}
    truth = label.get("truth")
    return [
        f"task {label.get('task')} read as {label.get('text')!r}",
        f"truth {truth!r}" if truth is not None else "no two labellers agree yet",
    ]


WORDED: dict[str, Callable[[AuditEntry], list[str]]] = {
    "schedule": _schedule_lines,
    "schedule-wait": _schedule_lines,
    "schedule-stop": _schedule_lines,
    "schedule-done": _schedule_lines,
    "consent": _consent_lines,
    "consent-withdraw": _consent_lines,
    "label": _label_lines,
}


def audit_row(entry: AuditEntry) -> AuditRow:
    findings = list((entry.after or {}).get("guard_findings") or [])
    if entry.action in WORDED:
        return AuditRow(entry, WORDED[entry.action](entry))
    lines = _gate_lines(entry.before, entry.after)
    if entry.action == "ramp-refused":
        lines = ["ramp refused by the guard; the gate did not change"]
    return AuditRow(entry, lines, findings)
