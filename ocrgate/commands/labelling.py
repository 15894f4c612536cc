"""`ocrgate labelling consent grant|withdraw|list` and `ocrgate labelling status GATE`: labelled truth
from traffic (rollout.truth) for ops and analysts; labellers read crops in the admin."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from ocrgate.commands.common import add_db_option, add_json_option, default_actor, open_store, print_records


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("labelling", help="which traffic labellers may read, and what their labels say")
    actions = parser.add_subparsers(dest="labelling_command", required=True)
    consent = actions.add_parser("consent", help="let a unit's or a category's traffic be labelled, or stop it")
    consent.add_argument("action", choices=("grant", "withdraw", "list"), help="what to do")
    which = consent.add_mutually_exclusive_group()
    which.add_argument("--unit", help="a unit (as the API's `unit` field names it)")
    which.add_argument("--category", help="a category (as the API's `category` field names it)")
    consent.add_argument("--actor", default=default_actor(), help="who decides (recorded in the audit log)")
    add_json_option(consent)
    add_db_option(consent)
    consent.set_defaults(func=run_consent)
    status = actions.add_parser("status", help="tasks, labels and each engine's labelled word accuracy per category")
    status.add_argument("gate", help="the gate's name")
    add_json_option(status)
    add_db_option(status)
    status.set_defaults(func=run_status)


def run_consent(args: argparse.Namespace) -> int:
    from kernel.errors import OcrInputError
    from rollout.truth import consents, grant_consent, withdraw_consent

    with open_store(args).session() as session:
        if args.action != "list":
            if not (args.unit or args.category):
                raise OcrInputError(f"consent {args.action} needs --unit or --category")
            kind, value = ("unit", args.unit) if args.unit else ("category", args.category)
            (grant_consent if args.action == "grant" else withdraw_consent)(session, kind, value, args.actor)
        rows = [{"kind": kind, "value": value} for kind, value in consents(session)]
    print_records(args, rows, lambda items: [f"{r['kind']:<9} {r['value']}" for r in items] or ["no consent given"])
    return 0


def _status_lines(data: dict[str, Any]) -> Iterator[str]:
    yield f"{data['gate']}: {data['tasks']} tasks, {data['settled']} with a truth (two labellers agree)"
    for category, row in data["categories"].items():
        comparison = row["comparison"]
        low, high = comparison["delta_ci95"]
        yield (
            f"  {category:<16} {row['words']:>5} words  control {row['control']['value']:.1%}  "
            f"candidate {row['candidate']['value']:.1%}  Δ error {100 * comparison['delta']:+.1f} pt "
            f"[{100 * low:+.1f}, {100 * high:+.1f}]  {comparison['verdict']}"
        )


def run_status(args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from rollout.store.models import TruthTask
    from rollout.truth import labelled_accuracy, labelled_words

    with open_store(args).session() as session:
        tasks = session.scalar(select(func.count()).select_from(TruthTask).where(TruthTask.gate == args.gate))
        words = labelled_words(session, args.gate)
    data = {
        "gate": args.gate,
        "tasks": tasks,
        "settled": sum(len(w) for w in words.values()),
        "categories": {category: labelled_accuracy(w) for category, w in sorted(words.items())},
    }
    print_records(args, data, _status_lines)
    return 0
