"""`ocrgate engines`: what is installed, with versions."""

from __future__ import annotations

import argparse

from engines.registry import describe_engines
from ocrgate.commands.common import add_json_option, print_records


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("engines", help="list installed engines and their versions")
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print_records(
        args,
        describe_engines(),
        lambda rows: (f"{row['name']:<18} {row['version'] or '-':<24} {row['status']}" for row in rows),
    )
    return 0
