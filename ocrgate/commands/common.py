"""Options shared by the commands that touch the database."""

from __future__ import annotations

import argparse
import getpass


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", metavar="URL", default=None,
                        help="database URL (default: $OCRGATE_DATABASE_URL, else a SQLite file in the user data dir)")


def open_store(args: argparse.Namespace):
    from rollout.store import Store
    return Store(args.db)


def default_actor() -> str:
    try:
        return f"{getpass.getuser()}@cli"
    except (KeyError, OSError):
        return "unknown@cli"
