"""`ocrgate gate list | show NAME | set NAME [...] | kill NAME`: gates for ops."""

from __future__ import annotations

import argparse
import json

from ocrgate.commands.common import add_db_option, default_actor, open_store, percent, whole
from rollout.gates import STAGES


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gate", help="show and change rollout gates")
    actions = parser.add_subparsers(dest="gate_command", required=True)
    listing = actions.add_parser("list", help="every gate")
    listing.add_argument("--json", action="store_true")
    add_db_option(listing)
    listing.set_defaults(func=run_list)
    show = actions.add_parser("show", help="one gate, its recent traffic and audit log")
    show.add_argument("name")
    add_db_option(show)
    show.set_defaults(func=run_show)
    change = actions.add_parser("set", help="create or change a gate (ramps are checked by the guard)")
    change.add_argument("name")
    change.add_argument("--control")
    change.add_argument("--candidate")
    change.add_argument("--stage", choices=STAGES)
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
    change.add_argument("--actor", default=default_actor())
    add_db_option(change)
    change.set_defaults(func=run_set)
    kill = actions.add_parser("kill", help="the kill switch: control serves everything at once")
    kill.add_argument("name")
    kill.add_argument("--reason")
    kill.add_argument("--actor", default=default_actor())
    add_db_option(kill)
    kill.set_defaults(func=run_kill)


def _print(config) -> None:
    from rollout.gate_store import describe
    data = describe(config)
    data.pop("salt")
    print(json.dumps(data, indent=2))


def run_list(args: argparse.Namespace) -> int:
    from rollout.gate_store import describe, load_gates
    store = open_store(args)
    with store.session() as session:
        gates = load_gates(session)
    if args.json:
        print(json.dumps([describe(g) for g in gates.values()], indent=2))
        return 0
    for gate in gates.values():
        rollout = f" {gate.percent:g}%" if gate.stage.value == "rollout" else ""
        state = "KILLED" if gate.killed else gate.stage.value + rollout
        print(f"{gate.name:<20} {state:<16} control={gate.control:<12} candidate={gate.candidate:<12} v{gate.version}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from rollout.gate_store import get_gate
    from rollout.store.models import AuditEntry
    from rollout.traffic import traffic_summary
    store = open_store(args)
    _print(get_gate(store, args.name))
    with store.session() as session:
        print(json.dumps({"traffic_24h": traffic_summary(session, args.name)}, indent=2, default=str))
        entries = session.scalars(select(AuditEntry).where(AuditEntry.gate == args.name)
                                  .order_by(AuditEntry.id.desc()).limit(10)).all()
        for entry in entries:
            print(f"{entry.at:%Y-%m-%d %H:%M:%S} {entry.actor:<16} {entry.action:<9} {entry.reason or ''}")
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
    lists = {key: (list(getattr(args, flag) or []) if (args.clear_lists or getattr(args, flag)) else None)
             for key, flag in (("allow_units", "allow"), ("deny_units", "deny"), ("categories", "category"))}
    if not args.clear_lists:
        for key in ("allow_units", "deny_units", "categories"):
            if lists[key] is not None:
                lists[key] = sorted(set(getattr(current, key)) | set(lists[key]))
    change = GateChange(control=args.control if args.control != current.control else None,
                        candidate=args.candidate if args.candidate != current.candidate else None,
                        stage=args.stage, percent=args.percent, shadow_percent=args.shadow_percent,
                        aa_percent=args.aa_percent, **lists)
    config = change_gate(store, args.name, change, args.actor, reason=args.reason,
                         expected_version=args.expect_version, override_reason=args.override,
                         guard=RampGuard(store))
    _print(config)
    return 0


def run_kill(args: argparse.Namespace) -> int:
    from rollout.gate_store import kill_gate
    _print(kill_gate(open_store(args), args.name, args.actor, args.reason))
    return 0
