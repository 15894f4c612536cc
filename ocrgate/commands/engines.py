"""`ocrgate engines`: what is installed, with versions."""

from __future__ import annotations

import argparse
import json

from engines.registry import describe_engines


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("engines", help="list installed engines and their versions")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rows = describe_engines()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']:<18} {row['version'] or '-':<24} {row['status']}")
    return 0
