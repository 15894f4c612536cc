"""Options shared by the commands: the database, the acting user, checked numbers, and how records
are printed (readable text, or one JSON document with `--json`)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TypeVar

from kernel.settings import finite_number, whole_number


def one_line(message: str) -> str:
    """`message` on one line: its lines joined with '; ', or a space after a colon (an engine's
    stderr, a list of problems)."""
    text = ""
    for line in (line.strip() for line in str(message).splitlines()):
        if line:
            text += (" " if not text or text.endswith(":") else "; ") + line
    return text.strip()


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="database URL (default: $OCRGATE_DATABASE_URL, else a SQLite file in the user data dir)",
    )


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of text")


T = TypeVar("T")


def _jsonable(value: object) -> str:
    return value.isoformat() if isinstance(value, (datetime, date)) else str(value)


def print_records(args: argparse.Namespace, data: T, as_text: Callable[[T], Iterable[str]]) -> None:
    """`data` as one JSON document when `--json` was given, else the lines `as_text(data)` makes."""
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=_jsonable)
        sys.stdout.write("\n")
        return
    for line in as_text(data):
        print(line)


def open_store(args: argparse.Namespace):
    from rollout.store import Store

    return Store(args.db)


def default_actor() -> str:
    try:
        return f"{getpass.getuser()}@cli"
    except (KeyError, OSError):
        return "unknown@cli"


def _argparse_error(message: str) -> argparse.ArgumentTypeError:
    return argparse.ArgumentTypeError(message)


def whole(low: int, high: int) -> Callable[[str], int]:
    """An argparse `type`: a whole number (ASCII digits) in low..high."""

    def parse(raw: str) -> int:
        return whole_number(raw, "the value", low, high, _argparse_error)

    parse.__name__ = "whole number"
    return parse


def number(low: float, high: float) -> Callable[[str], float]:
    """An argparse `type`: a finite number in low..high (no inf, no nan)."""

    def parse(raw: str) -> float:
        return finite_number(raw, "the value", low, high, _argparse_error)

    parse.__name__ = "number"
    return parse


#: an argparse `type` for shares of traffic: finite, 0-100 (the store checks the 0.01 steps)
percent = number(0, 100)

#: an argparse `type` for per-page time limits
seconds = number(0.1, 3600)
