"""`ocrgate lab list|diff A B`: the lab notebook of evaluation runs."""

from __future__ import annotations

import argparse
import json

from evaluation import labnotebook
from ocrgate.commands.common import whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="the lab notebook of evaluation runs")
    actions = parser.add_subparsers(dest="lab_command", required=True)
    listing = actions.add_parser("list", help="experiments, newest first")
    listing.add_argument("--limit", type=whole(1, 1_000_000), default=20, help="at most this many (default 20)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=run_list)
    compare = actions.add_parser("diff", help="compare the headline numbers of two experiments")
    compare.add_argument("a", type=whole(1, 10**9))
    compare.add_argument("b", type=whole(1, 10**9))
    compare.add_argument("--json", action="store_true")
    compare.set_defaults(func=run_diff)


def run_list(args: argparse.Namespace) -> int:
    found = list(reversed(labnotebook.entries()))[: args.limit]
    if args.json:
        print(json.dumps(found, indent=1))
        return 0
    for entry in found:
        sets = ",".join(s["name"] for s in entry.get("sets", []))
        engines = ",".join(f"{e['name']}@{e['version']}" for e in entry.get("engines", []))
        main = []
        for engine, cats in entry.get("headline", {}).items():
            row = cats.get("all", {})
            metric = "aligned_cer" if "aligned_cer" in row else "swa"
            if metric in row:
                main.append(f"{engine} {metric}={row[metric]:.4f}")
        print(f"#{entry['id']:<4} {entry.get('at', '')}  {entry.get('kind', '')}  "
              f"{entry.get('git_commit', '')[:12]}  sets={sets}  {engines}  {'; '.join(main)}")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    a, b = labnotebook.get(args.a), labnotebook.get(args.b)
    rows = labnotebook.diff(a, b)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    print(f"#{args.a} ({a.get('git_commit', '')[:12]}) → #{args.b} ({b.get('git_commit', '')[:12]})")
    for row in rows:
        fmt = lambda v: "-" if v is None else (f"{v:.4f}" if isinstance(v, float) else str(v))  # noqa: E731
        delta = "" if row["delta"] is None else f"{row['delta']:+.4f}"
        print(f"{row['engine']:<12} {row['category']:<16} {row['metric']:<16} {fmt(row['a']):>10} "
              f"{fmt(row['b']):>10} {delta:>10}")
    return 0
