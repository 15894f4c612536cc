"""`ocrgate purge [--days N] [--dry-run] [--json] [--db URL]`: forget stored traffic past its retention.

Deletes requests older than the retention period with their images, engine runs, pairs and finished
shadow jobs, finished jobs with their pages, and their text in the search index; never what a pending
shadow job, an unfinished job or labelled truth still needs, never the audit log
(`rollout.store.retention`). The service does the same every hour.
"""

from __future__ import annotations

import argparse

from ocrgate.commands.common import add_db_option, add_json_option, open_store, print_records, whole

#: the counts in the order they are printed
COUNTS = ("requests", "engine_runs", "pairs", "shadow_jobs", "images", "jobs", "job_pages", "protected")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("purge", help="delete stored requests, images, runs and pairs past their retention")
    parser.add_argument(
        "--days",
        type=whole(1, 36_500),
        default=None,
        help="keep this many days (default: $OCRGATE_RETENTION_DAYS, else 30)",
    )
    parser.add_argument("--dry-run", action="store_true", help="count what would be deleted; delete nothing")
    add_json_option(parser)
    add_db_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kernel.settings import load_settings
    from search import SearchIndex
    from service.retention import purge_expired

    days = args.days or load_settings().retention_days
    store = open_store(args)
    try:
        report = purge_expired(store, SearchIndex(store.engine), days, dry_run=args.dry_run)
    finally:
        store.dispose()
    print_records(args, {"days": days, **report.counts()}, _text)
    return 0


def _text(counts: dict) -> list[str]:
    verb = "would delete" if counts["dry_run"] else "deleted"
    kept = f"; kept {counts['protected']} expired requests still needed" if counts["protected"] else ""
    what = ", ".join(f"{counts[name]} {name.replace('_', ' ')}" for name in COUNTS[:-1])
    return [f"{verb} what was older than {counts['days']} days (before {counts['cutoff']}): {what}{kept}"]
