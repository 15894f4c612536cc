"""Gates: which engine serves a request, and which one shadows it. Pure functions of plain data.

Stages: `off` (control serves, nothing shadows) → `shadow` (control serves; the candidate runs in
the background on `shadow` share of requests) → `rollout` (the candidate serves `percent` of
*units*, sticky by bucket; the control shadows them; other units as in `shadow`) → `on` (the
candidate serves everyone; the control shadows a sample). The kill switch overrides everything:
control serves, nothing shadows. Deny-listed units always get the control; allow-listed units get
the candidate whenever the gate is not off; a gate with target categories applies to those only.
On control-served requests an A/A share runs the control a second time, to measure noise: its own
bucket under its own salt, independent of the shadow share, so the A/A lane runs at `aa_bp` of
control-served requests whatever the shadow share is (a request can carry both background runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from rollout.bucketing import BUCKETS, bucket

#: a new gate shadows every control-served request and runs 5% of them twice on the control (A/A)
DEFAULT_SHADOW_BP = BUCKETS
DEFAULT_AA_BP = 500
#: a progressive rollout's default steps (percent of units) and least time at each (rollout.schedule)
DEFAULT_STEPS = (1.0, 5.0, 25.0, 50.0, 100.0)
DEFAULT_DWELL_MINUTES = 60


class ShadowRole(StrEnum):
    """What a background run is: the candidate beside a served control, the control beside a served
    candidate, or the control's A/A twin."""

    CANDIDATE = "candidate"
    CONTROL = "control"
    AA = "aa"


class Stage(StrEnum):
    OFF = "off"
    SHADOW = "shadow"
    ROLLOUT = "rollout"
    ON = "on"


STAGES = tuple(s.value for s in Stage)


@dataclass(frozen=True)
class GateConfig:
    name: str
    control: str
    candidate: str
    stage: Stage = Stage.OFF
    percent_bp: int = 0
    shadow_bp: int = DEFAULT_SHADOW_BP
    aa_bp: int = DEFAULT_AA_BP
    killed: bool = False
    allow_units: frozenset[str] = field(default_factory=frozenset)
    deny_units: frozenset[str] = field(default_factory=frozenset)
    categories: frozenset[str] = field(default_factory=frozenset)
    salt: str = ""
    version: int = 1

    @property
    def percent(self) -> float:
        return self.percent_bp / 100


@dataclass(frozen=True)
class BackgroundRun:
    """An engine run beside the served one, its answer unseen by the caller."""

    engine: str
    role: ShadowRole


@dataclass(frozen=True)
class Decision:
    serve: str
    background: tuple[BackgroundRun, ...]  # the shadow and/or A/A runs, none for most off/killed requests
    candidate_serves: bool
    reason: str


def _serve_only(engine: str, candidate_serves: bool, reason: str) -> Decision:
    return Decision(engine, (), candidate_serves, reason)


def _control_serves(gate: GateConfig, request_key: str, reason: str) -> Decision:
    runs = []
    if bucket(gate.salt + ":shadow", request_key) < gate.shadow_bp:
        runs.append(BackgroundRun(gate.candidate, ShadowRole.CANDIDATE))
    if bucket(gate.salt + ":aa", request_key) < gate.aa_bp:
        runs.append(BackgroundRun(gate.control, ShadowRole.AA))
        reason += "; A/A lane"
    return Decision(gate.control, tuple(runs), False, reason)


def _candidate_serves(gate: GateConfig, reason: str) -> Decision:
    return Decision(gate.candidate, (BackgroundRun(gate.control, ShadowRole.CONTROL),), True, reason)


def decide(gate: GateConfig, unit: str, category: str, request_key: str) -> Decision:
    """Serve and shadow engines for one request of `unit` (sticky) with id `request_key`."""
    if gate.killed:
        return _serve_only(gate.control, False, "killed")
    if gate.stage is Stage.OFF:
        return _serve_only(gate.control, False, "off")
    if gate.categories and category not in gate.categories:
        return _serve_only(gate.control, False, f"category {category} not targeted")
    if unit in gate.deny_units:
        return _serve_only(gate.control, False, "unit deny-listed")
    if unit in gate.allow_units:
        return _candidate_serves(gate, "unit allow-listed")
    if gate.stage is Stage.ON:
        if bucket(gate.salt + ":shadow", request_key) < gate.shadow_bp:
            return _candidate_serves(gate, "on")
        return _serve_only(gate.candidate, True, "on")
    if gate.stage is Stage.ROLLOUT and bucket(gate.salt, unit) < gate.percent_bp:
        return _candidate_serves(gate, f"rollout {gate.percent:g}%: unit in")
    reason = "shadow" if gate.stage is Stage.SHADOW else f"rollout {gate.percent:g}%: unit out"
    return _control_serves(gate, request_key, reason)
