"""`ocrgate search QUERY [--index DB] [--limit N] [--json]`: pages whose OCR text holds every word."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from kernel.settings import load_settings

#: where the index is when neither `--index` nor `OCRGATE_SEARCH_INDEX` says
DEFAULT_HELP = ("$OCRGATE_SEARCH_INDEX, else the store's database "
                "($OCRGATE_DATABASE_URL or ocrgate.db in the user data folder)")


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
    parser.add_argument("--index", default=None, metavar="DB",
                        help=f"the index: a database URL or a SQLite file (default: {DEFAULT_HELP})")
    parser.add_argument("--limit", type=int, default=None, help="at most this many pages (default 20)")
    parser.add_argument("--json", action="store_true", help="hits with word boxes as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from search import SearchIndex  # SQLAlchemy loads only when used

    limit = {} if args.limit is None else {"limit": args.limit}
    hits = SearchIndex(index_target(args.index)).search(args.query, **limit)
    if args.json:
        json.dump([asdict(hit) for hit in hits], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for hit in hits:
            print(f"{hit.document}  page {hit.page}  ({len(hit.words)} words)  {' '.join(hit.snippet.split())}")
    if not hits:
        sys.stderr.write(f"ocrgate: no page holds all of: {args.query}\n")
    return 0
