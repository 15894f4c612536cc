"""`ocrgate gate list | show NAME | set NAME [...] | kill NAME`: gates for ops.

Each prints readable text, or with `--json` one JSON document (a gate as the API shows it, without its salt).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from ocrgate.commands.common import (
    add_db_option,
    add_json_option,
    default_actor,
    open_store,
    percent,
    print_records,
    whole,
)
from rollout.gates import DEFAULT_DWELL_MINUTES, DEFAULT_STEPS, STAGES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gate", help="show and change rollout gates")
    actions = parser.add_subparsers(dest="gate_command", required=True)
    listing = actions.add_parser("list", help="every gate")
    add_json_option(listing)
    add_db_option(listing)
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="one gate, its recent traffic and audit log")
    show.add_argument("name", help="the gate's name")
    add_json_option(show)
    add_db_option(show)
    show.set_defaults(func=run_show)
    change = actions.add_parser("set", help="create or change a gate (ramps are checked by the guard)")
    change.add_argument("name", help="the gate's name")
    change.add_argument("--control", help="the engine that serves by default (needed to create a gate)")
    change.add_argument("--candidate", help="the engine being rolled out (needed to create a gate)")
    change.add_argument("--stage", choices=STAGES, help="off, shadow, rollout (--percent of units) or on")
    change.add_argument("--percent", type=percent, help="rollout share of units, 0-100 in steps of 0.01")
    change.add_argument("--shadow-percent", type=percent, help="share of control-served requests shadowed")
    change.add_argument("--aa-percent", type=percent, help="share of requests run twice on the control (A/A)")
    change.add_argument("--allow", action="append", metavar="UNIT", help="unit that always gets the candidate")
    change.add_argument("--deny", action="append", metavar="UNIT", help="unit that never gets the candidate")
    change.add_argument("--category", action="append", help="only these categories (repeatable)")
    change.add_argument("--clear-lists", action="store_true", help="empty allow/deny/category lists first")
    change.add_argument("--reason", help="why (recorded in the audit log)")
    change.add_argument("--override", metavar="REASON", help="ramp although the guard refuses, with a written reason")
    change.add_argument("--expect-version", type=whole(1, 2**62), help="refuse if the gate changed since this version")
    change.add_argument("--actor", default=default_actor(), help="who makes the change (recorded in the audit log)")
    add_json_option(change)
    add_db_option(change)
    change.set_defaults(func=run_set)
    schedule = actions.add_parser("schedule", help="give a gate a progressive rollout, or stop it (--stop)")
    schedule.add_argument("name", help="the gate's name")
    schedule.add_argument(
        "--steps",
        type=percent,
        nargs="+",
        default=list(DEFAULT_STEPS),
        metavar="PERCENT",
        help="increasing rollout shares, each taken on the evidence of the one before",
    )
    schedule.add_argument(
        "--dwell",
        type=whole(1, 30 * 24 * 60),
        default=DEFAULT_DWELL_MINUTES,
        metavar="MINUTES",
        help="least time at each step",
    )
    schedule.add_argument(
        "--min-pairs",
        type=whole(1, 10_000_000),
        metavar="N",
        help="least pairs per category on a step's traffic (default: $OCRGATE_GUARD_MIN_PAIRS)",
    )
    schedule.add_argument("--stop", action="store_true", help="stop the gate's schedule (the gate stays as it is)")
    schedule.add_argument("--reason", help="why (recorded in the audit log)")
    schedule.add_argument("--actor", default=default_actor(), help="who makes the change (recorded in the audit log)")
    add_json_option(schedule)
    add_db_option(schedule)
    schedule.set_defaults(func=run_schedule)
    kill = actions.add_parser("kill", help="the kill switch: control serves everything at once")
    kill.add_argument("name", help="the gate's name")
    kill.add_argument("--reason", help="why (recorded in the audit log)")
    kill.add_argument("--actor", default=default_actor(), help="who pulls the switch (recorded in the audit log)")
    add_json_option(kill)
    add_db_option(kill)
    kill.set_defaults(func=run_kill)


def _record(config) -> dict[str, Any]:
    from rollout.gate_store import describe

    data = describe(config)
    data.pop("salt")
    return data


def _state(gate: dict[str, Any]) -> str:
    if gate["killed"]:
        return "KILLED"
    return f"rollout {gate['percent']:g}%" if gate["stage"] == "rollout" else gate["stage"]


def _gate_lines(gate: dict[str, Any]) -> Iterator[str]:
    yield f"{gate['name']}  v{gate['version']}  {_state(gate)}"
    yield f"  control    {gate['control']}"
    yield f"  candidate  {gate['candidate']}"
    yield f"  shares     rollout {gate['percent']:g}%, shadow {gate['shadow_percent']:g}%, A/A {gate['aa_percent']:g}%"
    for key, label in (("allow_units", "allow"), ("deny_units", "deny"), ("categories", "categories")):
        yield f"  {label:<10} {', '.join(gate[key]) or '-'}"


def _number(value: float | None, scale: float = 1.0, digits: int = 3) -> str:
    return "-" if value is None else f"{value * scale:.{digits}f}"


def _traffic_lines(traffic: dict[str, dict[str, Any]]) -> Iterator[str]:
    yield "traffic, last 24 h:"
    if not traffic:
        yield "  no paired traffic"
        return
    yield (
        f"  {'category':<16} {'pairs':>6} {'A/A':>5} {'CER':>6} {'A/A CER':>8} {'exact':>6} "
        f"{'ctl err':>8} {'cand err':>8} {'ctl p50/p95 ms':>16} {'cand p50/p95 ms':>16}"
    )
    for category, row in traffic.items():
        latency = {
            side: "/".join(_number(row[f"{side}_latency_ms"][q], digits=0) for q in ("p50", "p95"))
            for side in ("control", "candidate")
        }
        yield (
            f"  {category:<16} {row['pairs']:>6} {row['aa_pairs']:>5} {_number(row['mean_cer_between']):>6} "
            f"{_number(row['aa_mean_cer']):>8} {_number(row['exact_share']):>6} "
            f"{_number(row['control_error_rate']):>8} {_number(row['candidate_error_rate']):>8} "
            f"{latency['control']:>16} {latency['candidate']:>16}"
        )


def _schedule_lines(schedule: dict[str, Any] | None) -> Iterator[str]:
    if schedule is None:
        yield "schedule: none (changes by hand)"
        return
    steps = " → ".join(f"{step:g}%" for step in schedule["steps"])
    at = "not started" if schedule["step"] < 0 else f"at step {schedule['step'] + 1}"
    yield (
        f"schedule: {schedule['status']}, {at} of {steps}; dwell {schedule['dwell_minutes']} min, "
        f"{schedule['min_pairs']} pairs per category per step"
    )
    if schedule["note"]:
        yield f"  {schedule['note']}"


def _show_lines(data: dict[str, Any]) -> Iterator[str]:
    yield from _gate_lines(data["gate"])
    yield from _schedule_lines(data["schedule"])
    yield from _traffic_lines(data["traffic_24h"])
    yield "audit log, latest first:"
    for entry in data["audit"]:
        yield f"  {entry['at']:%Y-%m-%d %H:%M:%S}  {entry['actor']:<16} {entry['action']:<9} {entry['reason'] or ''}"


def run_list(args: argparse.Namespace) -> int:
    from rollout.gate_store import load_gates

    store = open_store(args)
    with store.session() as session:
        gates = [_record(gate) for gate in load_gates(session).values()]
    print_records(
        args,
        gates,
        lambda rows: (
            f"{g['name']:<20} {_state(g):<16} control={g['control']:<12} candidate={g['candidate']:<12} v{g['version']}"
            for g in rows
        ),
    )
    return 0


def run_show(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from rollout.gate_store import get_gate
    from rollout.store.models import AuditEntry
    from rollout.traffic import traffic_summary

    store = open_store(args)
    from rollout.schedule import get_schedule

    data: dict[str, Any] = {"gate": _record(get_gate(store, args.name))}
    schedule = get_schedule(store, args.name)
    data["schedule"] = schedule.describe() if schedule else None
    with store.session() as session:
        data["traffic_24h"] = traffic_summary(session, args.name)
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.gate == args.name).order_by(AuditEntry.id.desc()).limit(10)
        ).all()
        data["audit"] = [{"at": e.at, "actor": e.actor, "action": e.action, "reason": e.reason} for e in entries]
    print_records(args, data, _show_lines)
    return 0


def run_set(args: argparse.Namespace) -> int:
    from kernel.errors import OcrInputError, UnknownGateError
    from rollout.gate_store import GateChange, change_gate, create_gate, get_gate
    from rollout.guard import RampGuard

    store = open_store(args)
    try:
        current = get_gate(store, args.name)
    except UnknownGateError:
        if not (args.control and args.candidate):
            raise OcrInputError(f"no gate {args.name!r}: give --control and --candidate to create it") from None
        current = create_gate(store, args.name, args.control, args.candidate, args.actor, args.reason)
    lists = {
        key: (list(getattr(args, flag) or []) if (args.clear_lists or getattr(args, flag)) else None)
        for key, flag in (("allow_units", "allow"), ("deny_units", "deny"), ("categories", "category"))
    }
    if not args.clear_lists:
        for key, given in lists.items():
            if given is not None:
                lists[key] = sorted(set(getattr(current, key)) | set(given))
    change = GateChange(
        control=args.control if args.control != current.control else None,
        candidate=args.candidate if args.candidate != current.candidate else None,
        stage=args.stage,
        percent=args.percent,
        shadow_percent=args.shadow_percent,
        aa_percent=args.aa_percent,
        **lists,
    )
    config = change_gate(
        store,
        args.name,
        change,
        args.actor,
        reason=args.reason,
        expected_version=args.expect_version,
        override_reason=args.override,
        guard=RampGuard(store),
    )
    print_records(args, _record(config), _gate_lines)
    return 0


def run_schedule(args: argparse.Namespace) -> int:
    from rollout.schedule import set_schedule, stop_schedule

    store = open_store(args)
    if args.stop:
        schedule = stop_schedule(store, args.name, args.actor, args.reason)
    else:
        schedule = set_schedule(
            store,
            args.name,
            args.actor,
            steps=args.steps,
            dwell_minutes=args.dwell,
            min_pairs=args.min_pairs,
            reason=args.reason,
        )
    print_records(args, schedule.describe(), _schedule_lines)
    return 0


def run_kill(args: argparse.Namespace) -> int:
    from rollout.gate_store import kill_gate

    print_records(args, _record(kill_gate(open_store(args), args.name, args.actor, args.reason)), _gate_lines)
    return 0
