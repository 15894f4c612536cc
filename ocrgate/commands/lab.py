"""`ocrgate lab list|diff A B`: the lab notebook of evaluation runs."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from typing import Any

from evaluation import labnotebook
from kernel.provenance import same_machine
from ocrgate.commands.common import add_json_option, print_records, whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="the lab notebook of evaluation runs")
    actions = parser.add_subparsers(dest="lab_command", required=True)
    listing = actions.add_parser("list", help="experiments, newest first")
    listing.add_argument("--limit", type=whole(1, 1_000_000), default=20, help="at most this many")
    add_json_option(listing)
    listing.set_defaults(func=run_list)
    compare = actions.add_parser("diff", help="compare the headline numbers of two experiments")
    compare.add_argument("a", type=whole(1, 10**9), help="experiment number (see `ocrgate lab list`)")
    compare.add_argument("b", type=whole(1, 10**9), help="the experiment compared with A")
    add_json_option(compare)
    compare.set_defaults(func=run_diff)


def _entry_line(entry: dict[str, Any]) -> str:
    sets = ",".join(s["name"] for s in entry.get("sets", []))
    engines = ",".join(f"{e['name']}@{e['version']}" for e in entry.get("engines", []))
    main = []
    for engine, cats in entry.get("headline", {}).items():
        row = cats.get("all", {})
        metric = "aligned_cer" if "aligned_cer" in row else "swa"
        if metric in row:
            main.append(f"{engine} {metric}={row[metric]:.4f}")
    return (
        f"#{entry['id']:<4} {entry.get('at', '')}  {entry.get('kind', '')}  "
        f"{entry.get('git_commit', '')[:12]}  sets={sets}  {engines}  {'; '.join(main)}"
    )


def run_list(args: argparse.Namespace) -> int:
    found = list(reversed(labnotebook.entries()))[: args.limit]
    print_records(args, found, lambda entries: map(_entry_line, entries))
    return 0


def _value(value: Any) -> str:
    return "-" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))


def run_diff(args: argparse.Namespace) -> int:
    a, b = labnotebook.get(args.a), labnotebook.get(args.b)

    def lines(rows: list[dict[str, Any]]) -> Iterator[str]:
        yield f"#{args.a} ({a.get('git_commit', '')[:12]}) → #{args.b} ({b.get('git_commit', '')[:12]})"
        if same_machine(a.get("machine"), b.get("machine")) is False:
            yield (
                f"note: different machines ({a['machine']['cpu']} vs {b['machine']['cpu']}, or their instruction "
                "sets): the same code can read pages differently there"
            )
        for row in rows:
            delta = "" if row["delta"] is None else f"{row['delta']:+.4f}"
            yield (
                f"{row['engine']:<12} {row['category']:<16} {row['metric']:<16} {_value(row['a']):>10} "
                f"{_value(row['b']):>10} {delta:>10}"
            )

    print_records(args, labnotebook.diff(a, b), lines)
    return 0
