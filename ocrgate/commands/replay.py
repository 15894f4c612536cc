"""`ocrgate replay FILE... --url URL --token TOKEN`: send pages to a running service as traffic."""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ocrgate.commands.common import whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("replay", help="send image files to a running service as live traffic")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--token", default=None, help="API token (default: $OCRGATE_TOKEN)")
    parser.add_argument("--unit", default="replay", help="unit id; {n} is replaced by the file's number")
    parser.add_argument("--category", default="unknown")
    parser.add_argument("--concurrency", type=whole(1, 64), default=2, help="requests in flight (default 2)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kernel.errors import OcrInputError
    from kernel.settings import load_settings
    from service.client import ApiClient, ApiError

    token = args.token or load_settings().token
    if not token:
        raise OcrInputError("give --token or set OCRGATE_TOKEN (create one with `ocrgate tokens create NAME`)")
    client = ApiClient(args.url, token)

    def send(numbered: tuple[int, Path]) -> tuple[Path, dict | None, str | None]:
        n, path = numbered
        try:
            return path, client.ocr(path, unit=args.unit.format(n=n), category=args.category), None
        except (ApiError, OSError) as exc:
            return path, None, str(exc)

    failures = 0
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        for path, answer, problem in pool.map(send, enumerate(args.files)):
            if problem:
                failures += 1
                print(f"{path}: failed: {problem}", file=sys.stderr)
            else:
                words = len(answer["text"].split())
                print(f"{path}: served by {answer['engine']} ({answer['decision']}), {words} words, "
                      f"request {answer['request_id']}")
    return 2 if failures else 0
