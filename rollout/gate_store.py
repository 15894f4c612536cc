"""Reading and changing gates in the store: validated, guarded, versioned, and audited.

Every change is one transaction that bumps the gate's version only if nobody else changed it
since it was read (optimistic concurrency: a stale edit gets `GateConflictError`, nothing is
overwritten), and appends an audit entry with who, when, before, after and why.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from engines.registry import engine_names
from kernel.errors import GateConflictError, OcrInputError, RampRefusedError, UnknownGateError
from rollout import labels
from rollout.bucketing import BUCKETS, percent_to_bp
from rollout.gates import DEFAULT_AA_BP, DEFAULT_SHADOW_BP, STAGES, GateConfig, Stage
from rollout.store import Store
from rollout.store.models import AuditEntry, GateState, utcnow

DEFAULT_GATE = "ocr-engine"
MIN_OVERRIDE_REASON = 10  # characters: an override must say why


@dataclass
class GateChange:
    """Fields to change; None leaves a field as it is."""

    control: str | None = None
    candidate: str | None = None
    stage: str | None = None
    percent: float | None = None
    shadow_percent: float | None = None
    aa_percent: float | None = None
    allow_units: list[str] | None = None
    deny_units: list[str] | None = None
    categories: list[str] | None = None


def to_config(row: GateState) -> GateConfig:
    return GateConfig(
        name=row.name,
        control=row.control,
        candidate=row.candidate,
        stage=Stage(row.stage),
        percent_bp=row.percent_bp,
        shadow_bp=row.shadow_bp,
        aa_bp=row.aa_bp,
        killed=row.killed,
        allow_units=frozenset(row.allow_units or ()),
        deny_units=frozenset(row.deny_units or ()),
        categories=frozenset(row.categories or ()),
        salt=row.salt,
        version=row.version,
    )


def describe(config: GateConfig) -> dict[str, Any]:
    """A gate as plain JSON-able data (API, audit log, CLI)."""
    data = asdict(config)
    data.update(
        stage=config.stage.value,
        percent=config.percent,
        shadow_percent=config.shadow_bp / 100,
        aa_percent=config.aa_bp / 100,
        allow_units=sorted(config.allow_units),
        deny_units=sorted(config.deny_units),
        categories=sorted(config.categories),
    )
    for key in ("percent_bp", "shadow_bp", "aa_bp"):
        data.pop(key)
    return data


def load_gates(session: Session) -> dict[str, GateConfig]:
    return {row.name: to_config(row) for row in session.scalars(select(GateState))}


def get_gate(store: Store, name: str) -> GateConfig:
    with store.session() as session:
        row = session.get(GateState, name)
        if row is None:
            raise UnknownGateError(f"no gate named {name!r}")
        return to_config(row)


def _check_engine(name: str, role: str) -> str:
    known = engine_names()
    if name not in known:
        raise OcrInputError(f"unknown {role} engine {name!r}; installed engines: {', '.join(known)}")
    return name


def _bp(value: float, what: str) -> int:
    try:
        return percent_to_bp(float(value))
    except (TypeError, ValueError, OverflowError) as exc:
        raise OcrInputError(f"{what}: {exc}") from None


def record_audit(
    session: Session,
    actor: str,
    action: str,
    gate: str | None,
    before: dict | None,
    after: dict | None,
    reason: str | None,
) -> None:
    session.add(AuditEntry(actor=actor, action=action, gate=gate, before=before, after=after, reason=reason))


def create_gate(
    store: Store, name: str, control: str, candidate: str, actor: str, reason: str | None = None
) -> GateConfig:
    labels.gate_name(name)
    _check_engine(control, "control")
    _check_engine(candidate, "candidate")
    with store.session() as session:
        if session.get(GateState, name) is not None:
            raise GateConflictError(f"gate {name!r} already exists")
        row = GateState(
            name=name,
            control=control,
            candidate=candidate,
            stage=Stage.OFF.value,
            percent_bp=0,
            shadow_bp=DEFAULT_SHADOW_BP,
            aa_bp=DEFAULT_AA_BP,
            killed=False,
            allow_units=[],
            deny_units=[],
            categories=[],
            salt=secrets.token_hex(8),
            version=1,
            updated_by=actor,
            updated_at=utcnow(),
        )
        session.add(row)
        session.flush()
        config = to_config(row)
        record_audit(session, actor, "create", name, None, describe(config), reason)
    return config


def exposure_bp(config: GateConfig) -> int:
    """How much traffic the candidate serves, in basis points (for deciding what the guard checks)."""
    if config.killed or config.stage in (Stage.OFF, Stage.SHADOW):
        return 0
    return BUCKETS if config.stage is Stage.ON else config.percent_bp


def _apply(config: GateConfig, change: GateChange) -> GateConfig:
    updates: dict[str, Any] = {}
    if change.control is not None:
        updates["control"] = _check_engine(change.control, "control")
    if change.candidate is not None:
        updates["candidate"] = _check_engine(change.candidate, "candidate")
    if change.stage is not None:
        if change.stage not in STAGES:
            raise OcrInputError(f"unknown stage {change.stage!r}; choose one of {', '.join(STAGES)}")
        updates["stage"] = Stage(change.stage)
        updates["killed"] = False  # choosing a stage is the explicit way back from a kill
    if change.percent is not None:
        updates["percent_bp"] = _bp(change.percent, "percent")
    if change.shadow_percent is not None:
        updates["shadow_bp"] = _bp(change.shadow_percent, "shadow percent")
    if change.aa_percent is not None:
        updates["aa_bp"] = _bp(change.aa_percent, "A/A percent")
    for key, check in (("allow_units", labels.units), ("deny_units", labels.units), ("categories", labels.categories)):
        values = getattr(change, key)
        if values is not None:
            updates[key] = frozenset(check(values))
    new = GateConfig(**{**asdict(config), **updates})
    if new.control == new.candidate and new.stage not in (Stage.OFF, Stage.SHADOW):
        raise OcrInputError(
            "an A/A gate (control and candidate the same engine) only shadows: it measures noise, "
            "there is nothing to roll out"
        )
    if new.allow_units & new.deny_units:
        raise OcrInputError(f"units both allowed and denied: {', '.join(sorted(new.allow_units & new.deny_units))}")
    return new


def preview_change(
    store: Store, name: str, change: GateChange, guard: Callable[[GateConfig, GateConfig], list[dict]] | None = None
) -> tuple[GateConfig, GateConfig, list[dict]]:
    """What `change_gate` would do, without writing: (old, new, guard findings)."""
    old = get_gate(store, name)
    new = _apply(old, change)
    findings = guard(old, new) if guard is not None and exposure_bp(new) > exposure_bp(old) else []
    return old, new, findings


def change_gate(
    store: Store,
    name: str,
    change: GateChange,
    actor: str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
    override_reason: str | None = None,
    guard: Callable[[GateConfig, GateConfig], list[dict]] | None = None,
) -> GateConfig:
    """Apply `change` to gate `name`. When the change raises the candidate's exposure, `guard`
    (old, new) returns findings; any finding with ok=False refuses the change unless
    `override_reason` (≥ 10 characters) is given, which goes into the audit log. A refusal is
    audited too (`ramp-refused`, with the findings), though the gate does not change."""
    try:
        return _change_gate(store, name, change, actor, reason, expected_version, override_reason, guard)
    except RampRefusedError as refused:
        with store.session() as session:
            row = session.get(GateState, name)
            before = describe(to_config(row)) if row else None
            record_audit(session, actor, "ramp-refused", name, before, {"guard_findings": refused.findings}, reason)
        raise


def _change_gate(
    store: Store,
    name: str,
    change: GateChange,
    actor: str,
    reason: str | None,
    expected_version: int | None,
    override_reason: str | None,
    guard: Callable[[GateConfig, GateConfig], list[dict]] | None,
) -> GateConfig:
    with store.session() as session:
        row = session.get(GateState, name)
        if row is None:
            raise UnknownGateError(f"no gate named {name!r}")
        old = to_config(row)
        if expected_version is not None and expected_version != old.version:
            raise GateConflictError(
                f"gate {name!r} was changed by {row.updated_by} (now version {old.version}, "
                f"you edited version {expected_version}); reload and try again"
            )
        new = _apply(old, change)
        findings: list[dict] = []
        override = (override_reason or "").strip()
        if guard is not None and exposure_bp(new) > exposure_bp(old):
            findings = guard(old, new)
            failed = [f for f in findings if not f["ok"]]
            if failed and not override_reason:
                raise RampRefusedError("ramp refused: " + "; ".join(f["message"] for f in failed), findings)
            if failed and len(override) < MIN_OVERRIDE_REASON:
                raise OcrInputError(f"an override needs a written reason of at least {MIN_OVERRIDE_REASON} characters")
        values = describe(new)
        result = cast(
            "CursorResult[Any]",
            session.execute(
                update(GateState)
                .where(GateState.name == name, GateState.version == old.version)
                .values(
                    control=new.control,
                    candidate=new.candidate,
                    stage=new.stage.value,
                    percent_bp=new.percent_bp,
                    shadow_bp=new.shadow_bp,
                    aa_bp=new.aa_bp,
                    killed=new.killed,
                    allow_units=sorted(new.allow_units),
                    deny_units=sorted(new.deny_units),
                    categories=sorted(new.categories),
                    version=old.version + 1,
                    updated_at=utcnow(),
                    updated_by=actor,
                )
            ),
        )
        if result.rowcount != 1:
            raise GateConflictError(f"gate {name!r} was changed concurrently; reload and try again")
        values["version"] = old.version + 1
        overridden = [f for f in findings if not f["ok"]]
        full_reason = reason
        if overridden:
            full_reason = f"{reason or ''} [guard overridden: {override}]".strip()
        record_audit(
            session,
            actor,
            "override" if overridden else "change",
            name,
            describe(old),
            {**values, **({"guard_findings": findings} if findings else {})},
            full_reason,
        )
    return GateConfig(**{**asdict(new), "version": old.version + 1})


def kill_gate(
    store: Store, name: str, actor: str, reason: str | None = None, findings: list[dict] | None = None
) -> GateConfig:
    """The kill switch: control serves everything at once; nothing shadows. Never guarded; `findings`
    (an automatic kill's evidence) go into the audit entry."""
    with store.session() as session:
        row = session.get(GateState, name)
        if row is None:
            raise UnknownGateError(f"no gate named {name!r}")
        before = describe(to_config(row))
        row.killed = True
        row.version += 1
        row.updated_at = utcnow()
        row.updated_by = actor
        session.flush()
        config = to_config(row)
        after = {**describe(config), **({"guard_findings": findings} if findings else {})}
        record_audit(session, actor, "kill", name, before, after, reason)
    return config
