"""`ocrgate sets add NAME DIR | list | check DIR | photos SOURCE --out DIR`: benchmark sets of one's own."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evaluation import sets
from evaluation.dataset import BenchmarkSetError, load_set
from kernel.errors import OcrInputError
from ocrgate.commands.common import add_db_option, add_json_option, open_store, print_records, whole


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sets", help="register and validate benchmark sets")
    actions = parser.add_subparsers(dest="sets_command", required=True)
    add = actions.add_parser("add", help="validate a set folder and register it under a name")
    add.add_argument("name", help="the name `--set NAME` will use")
    add.add_argument("folder", type=Path, help="the set's folder (manifest.jsonl and its images)")
    add.set_defaults(func=run_add)
    check = actions.add_parser("check", help="validate a set folder and summarise it, or list its problems")
    check.add_argument("folder", type=Path, help="the set's folder (manifest.jsonl and its images)")
    add_json_option(check)
    check.set_defaults(func=run_check)
    listing = actions.add_parser("list", help="registered sets")
    add_json_option(listing)
    listing.set_defaults(func=run_list)
    photos = actions.add_parser(
        "photos",
        help="build a photo set: every page of a page set as a phone's document "
        "scanner would capture it (simulated; docs/photos.md)",
    )
    photos.add_argument("source", help="the page set: its folder, or the name of a registered set")
    photos.add_argument(
        "--out",
        type=Path,
        required=True,
        help="the photo set's folder (new, empty, or an earlier photo set that it replaces)",
    )
    photos.add_argument(
        "--seed",
        type=whole(0, 2**31 - 1),
        default=0,
        help="draws every page's capture parameters with the page id (default: 0)",
    )
    add_json_option(photos)
    photos.set_defaults(func=run_photos)
    export = actions.add_parser("export-labels", help="write labelled word crops from traffic as a word set")
    export.add_argument(
        "--out", type=Path, required=True, help="the set's folder (a new version replaces an earlier export)"
    )
    export.add_argument("--gate", help="only this gate's labels (default: every gate)")
    add_json_option(export)
    add_db_option(export)
    export.set_defaults(func=run_export_labels)


def run_add(args: argparse.Namespace) -> int:
    count = sets.register(args.name, args.folder)
    print(f"registered {args.name} → {args.folder.resolve()} ({count} records)")
    return 0


def _check_lines(summary: dict[str, Any]) -> Iterator[str]:
    if not summary["valid"]:
        yield from summary["problems"]
        return
    counts = ", ".join(f"{category}: {n}" for category, n in summary["categories"].items())
    yield (
        f"{summary['folder']}: valid {summary['level']} set, {summary['records']} records ({counts}), "
        f"sha256 {summary['sha256']}"
    )


def run_check(args: argparse.Namespace) -> int:
    """The summary of a valid set; for an invalid one, its problems, then a one-line error (exit 2)."""
    try:
        bench = load_set(args.folder)
    except BenchmarkSetError as exc:
        print_records(args, {"folder": str(args.folder), "valid": False, "problems": exc.problems}, _check_lines)
        raise OcrInputError(f"{args.folder}: not a valid benchmark set ({len(exc.problems)} problem(s))") from None
    summary = {
        "folder": str(args.folder),
        "valid": True,
        "level": bench.level,
        "records": len(bench.records),
        "categories": {c: sum(1 for r in bench.records if r.category == c) for c in bench.categories},
        "sha256": bench.content_hash,
    }
    print_records(args, summary, _check_lines)
    return 0


def run_list(args: argparse.Namespace) -> int:
    print_records(
        args,
        dict(sorted(sets.registered().items())),
        lambda registered: (f"{name:<20} {folder}" for name, folder in registered.items()),
    )
    return 0


def run_photos(args: argparse.Namespace) -> int:
    """Build the photo set and print one line: pages, categories, sha256 (or the summary as JSON)."""
    from capture.photoset import build_photo_set

    info = build_photo_set(sets.resolve_set(args.source), args.out, args.seed)
    counts = ", ".join(f"{category}: {n}" for category, n in info["categories"].items())
    print_records(
        args,
        info,
        lambda i: [
            f"wrote photo set {args.out}: {i['pages']} pages ({counts}), seed {i['seed']}, "
            f"simulator v{i['simulator_version']}, sha256 {i['sha256']} "
            f"(lab notebook #{i['notebook_id']}, {i['seconds']} s)"
        ],
    )
    return 0


def run_export_labels(args: argparse.Namespace) -> int:
    from rollout.truth_export import export_word_set

    with open_store(args).session() as session:
        info = export_word_set(session, args.out, args.gate)
    print_records(
        args,
        info,
        lambda i: [
            f"wrote {i['name']} v{i['version']} to {args.out}: {i['words']} words, "
            f"sha256 {i['sha256']} (`ocrgate eval --set {args.out}` reads it)"
        ],
    )
    return 0
