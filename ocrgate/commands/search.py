"""`ocrgate search QUERY [--index DB] [--limit N] [--json]`: pages whose OCR text holds every word."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from kernel.settings import load_settings
from ocrgate.commands.common import add_json_option, print_records, whole

#: where the index is when neither `--index` nor `OCRGATE_SEARCH_INDEX` says
DEFAULT_HELP = (
    "$OCRGATE_SEARCH_INDEX, else the store's database ($OCRGATE_DATABASE_URL or ocrgate.db in the user data folder)"
)


def index_target(value: str | None = None) -> str:
    """The index's database: `value` (a URL or a SQLite file path), else `OCRGATE_SEARCH_INDEX`,
    else the rollout store's database, so the CLI and the service search the same index."""
    if value:
        return value
    configured = load_settings().search_index
    if configured:
        return configured
    from rollout.store.database import default_database_url

    return default_database_url()


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("search", help="search the OCR text of PDFs made with `ocrgate pdf --index`")
    parser.add_argument("query", help="words that must all occur (case and accents ignored); word* = prefix")
    parser.add_argument(
        "--index",
        default=None,
        metavar="DB",
        help=f"the index: a database URL or a SQLite file (default: {DEFAULT_HELP})",
    )
    parser.add_argument("--limit", type=whole(1, 10**9), default=None, help="at most this many pages (default 20)")
    add_json_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from search import SearchIndex  # SQLAlchemy loads only when used

    limit = {} if args.limit is None else {"limit": args.limit}
    hits = SearchIndex(index_target(args.index)).search(args.query, **limit)
    print_records(
        args,
        [asdict(hit) for hit in hits],
        lambda rows: (
            f"{hit['document']}  page {hit['page']}  ({len(hit['words'])} words)  {' '.join(hit['snippet'].split())}"
            for hit in rows
        ),
    )
    if not hits:
        sys.stderr.write(f"ocrgate: no page holds all of: {args.query}\n")
    return 0
