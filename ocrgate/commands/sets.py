"""`ocrgate sets add NAME DIR | list | check DIR`: benchmark sets of one's own."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluation import sets
from evaluation.dataset import load_set


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sets", help="register and validate benchmark sets")
    actions = parser.add_subparsers(dest="sets_command", required=True)
    add = actions.add_parser("add", help="validate a set folder and register it under a name")
    add.add_argument("name")
    add.add_argument("folder", type=Path)
    add.set_defaults(func=run_add)
    check = actions.add_parser("check", help="validate a set folder and summarise it")
    check.add_argument("folder", type=Path)
    check.set_defaults(func=run_check)
    listing = actions.add_parser("list", help="registered sets")
    listing.set_defaults(func=run_list)


def run_add(args: argparse.Namespace) -> int:
    count = sets.register(args.name, args.folder)
    print(f"registered {args.name} → {args.folder.resolve()} ({count} records)")
    return 0


def run_check(args: argparse.Namespace) -> int:
    bench = load_set(args.folder)
    counts = {c: sum(1 for r in bench.records if r.category == c) for c in bench.categories}
    print(f"{args.folder}: valid {bench.level} set, {len(bench.records)} records "
          f"({', '.join(f'{c}: {n}' for c, n in counts.items())}), sha256 {bench.content_hash}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    for name, folder in sorted(sets.registered().items()):
        print(f"{name:<20} {folder}")
    return 0
