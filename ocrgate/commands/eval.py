"""`ocrgate eval --engine E [--engine E] --set DIR [--set DIR] --out DIR`: score engines on benchmark sets."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ocrgate.commands.common import add_json_option, print_records, seconds, whole
from ocrgate.commands.reading import add_quiet_option, say, shows_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("eval", help="score engines on benchmark sets; writes results.json and report.html")
    parser.add_argument("--engine", action="append", required=True, help="engine to score (repeat for several)")
    parser.add_argument(
        "--set",
        action="append",
        required=True,
        dest="sets",
        metavar="DIR|NAME",
        help="benchmark set folder or registered name (repeatable)",
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="where results.json and report.html are written"
    )
    parser.add_argument("--control", help="engine the others are compared against (default: the first)")
    parser.add_argument("--workers", type=whole(1, 1024), help="pages read at once (default: all cores)")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        metavar="DIR",
        help="engine-output cache (default: $OCRGATE_EVAL_CACHE, else eval/ in the user cache dir)",
    )
    parser.add_argument("--no-cache", action="store_true", help="always run the engines")
    parser.add_argument("--limit", type=whole(1, 10**9), help="at most N records per category (quick runs)")
    parser.add_argument("--category", action="append", help="only these categories (repeatable)")
    parser.add_argument("--lang", default="eng", help="languages, e.g. eng or eng+deu")
    parser.add_argument("--timeout", type=seconds, default=120.0, help="seconds per page per engine")
    add_json_option(parser)
    add_quiet_option(parser)
    parser.set_defaults(func=run)


def _lines(results: dict[str, Any]) -> Iterator[str]:
    metric = "swa" if results["run"]["level"] == "word" else "aligned_cer"
    for engine, categories in results["summary"].items():
        for category, row in categories.items():
            low, high = row[f"{metric}_ci95"]
            yield (
                f"{engine:<12} {category:<16} n={row['n']:<5} {metric}={row[metric]:.4f} "
                f"[{low:.4f}, {high:.4f}]  s/page={row['seconds_per_page']:.3f}  failures={row['failures']}"
            )
    for verdict in results["paired"]:
        yield (
            f"{verdict['candidate']} vs {verdict['control']} {verdict['category']:<16} "
            f"Δ={verdict['delta']:+.4f} p={verdict['p_value']:.4f} → {verdict['verdict']}"
        )


def run(args: argparse.Namespace) -> int:
    from evaluation.cache import default_cache_dir
    from evaluation.evaluate import evaluate

    cache = None if args.no_cache else (args.cache or default_cache_dir())
    results = evaluate(
        args.engine,
        args.sets,
        args.out,
        control=args.control,
        workers=args.workers,
        cache_dir=cache,
        limit=args.limit,
        categories=args.category,
        languages=args.lang,
        timeout=args.timeout,
        progress=shows_progress(args),
    )
    print_records(args, {key: results[key] for key in ("run", "summary", "paired")}, _lines)
    experiment = results["run"].get("experiment")
    say(
        args,
        f"wrote {args.out / 'results.json'} and {args.out / 'report.html'}"
        + (f" (lab notebook #{experiment})" if experiment else ""),
    )
    return 0
