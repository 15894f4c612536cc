"""`ocrgate search QUERY [--index DB] [--limit N] [--json]`: pages whose OCR text holds every word."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path



def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("search", help="search the OCR text of PDFs made with `ocrgate pdf --index`")
    parser.add_argument("query", help="words that must all occur (case and accents ignored); word* = prefix")
    parser.add_argument("--index", type=Path, default=None, metavar="DB",
                        help="the index (default: $OCRGATE_SEARCH_INDEX or search.sqlite in the user data folder)")
    parser.add_argument("--limit", type=int, default=None, help="at most this many pages (default 20)")
    parser.add_argument("--json", action="store_true", help="hits with word boxes as JSON")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pdf.search_index import SearchIndex, default_index_path  # SQLAlchemy loads only when used

    limit = {} if args.limit is None else {"limit": args.limit}
    hits = SearchIndex(args.index or default_index_path()).search(args.query, **limit)
    if args.json:
        json.dump([asdict(hit) for hit in hits], sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for hit in hits:
            print(f"{hit.document}  page {hit.page}  ({len(hit.words)} words)  {' '.join(hit.snippet.split())}")
    if not hits:
        sys.stderr.write(f"ocrgate: no page holds all of: {args.query}\n")
    return 0
