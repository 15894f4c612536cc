"""`ocrgate replay FILE... --url URL --token TOKEN`: send pages to a running service as traffic."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ocrgate.commands.common import add_json_option, print_records, whole


def _url(raw: str) -> str:
    """An argparse `type`: an http(s) URL with a host (and a valid port, if any)."""
    try:
        parts = urlsplit(raw)
        _ = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a URL ({exc}): {raw!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"expected http://HOST[:PORT] or https://…, got {raw!r}")
    return raw


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("replay", help="send image files to a running service as live traffic")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="image files to send")
    parser.add_argument("--url", type=_url, default="http://127.0.0.1:8080", help="the service's address")
    parser.add_argument("--token", default=None, help="API token (default: $OCRGATE_TOKEN)")
    parser.add_argument("--unit", default="replay", help="unit id; {n} is replaced by the file's number")
    parser.add_argument("--category", default="unknown", help="the category the requests are counted under")
    parser.add_argument("--concurrency", type=whole(1, 64), default=2, help="requests in flight")
    add_json_option(parser)
    parser.set_defaults(func=run)


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['file']}: served by {row['engine']} ({row['decision']}), {row['words']} words, "
        f"request {row['request_id']}"
    )


def run(args: argparse.Namespace) -> int:
    from kernel.errors import OcrInputError
    from kernel.settings import load_settings
    from service.client import ApiClient, ApiError

    token = args.token or load_settings().token
    if not token:
        raise OcrInputError("give --token or set OCRGATE_TOKEN (create one with `ocrgate tokens create NAME`)")
    client = ApiClient(args.url, token)

    def send(numbered: tuple[int, Path]) -> dict[str, Any]:
        n, path = numbered
        try:
            answer = client.ocr(path, unit=args.unit.format(n=n), category=args.category)
        except (ApiError, OSError) as exc:
            return {"file": str(path), "error": str(exc)}
        return {
            "file": str(path),
            "engine": answer["engine"],
            "decision": answer["decision"],
            "words": len(answer["text"].split()),
            "request_id": answer["request_id"],
        }

    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        rows = list(pool.map(send, enumerate(args.files)))
    for row in rows:
        if "error" in row:
            print(f"ocrgate: error: {row['file']}: failed: {row['error']}", file=sys.stderr)
    print_records(args, rows, lambda rows: (_line(row) for row in rows if "error" not in row))
    return 2 if any("error" in row for row in rows) else 0
