"""Retention in the service: the store's purge (`rollout.store.retention`), then the search
documents of the requests it deleted, and the background thread that does both periodically."""

from __future__ import annotations

import logging
import threading

from rollout.store import Store
from rollout.store.retention import PurgeReport, purge
from search import SearchIndex

log = logging.getLogger(__name__)
#: how often the service purges (it also purges once as it starts)
PURGE_SECONDS = 3600.0


def search_document(request_id: str) -> str:
    """The search index's name for a served request's text."""
    return f"request:{request_id}"


def purge_expired(store: Store, search: SearchIndex, days: int, *, dry_run: bool = False) -> PurgeReport:
    """Purge what expired more than `days` days ago, and the purged requests' search documents."""
    report = purge(store, days, dry_run=dry_run)
    if not dry_run:
        for request_id in report.request_ids:
            search.remove(search_document(request_id))
    return report


def start_purging(store: Store, search: SearchIndex, days: int, stop: threading.Event) -> threading.Thread:
    """A daemon thread that purges now and every PURGE_SECONDS until `stop` is set."""

    def loop() -> None:
        while True:
            try:
                report = purge_expired(store, search, days)
                if report.requests or report.images:
                    log.info("retention: purged %s", report.counts())
            except Exception:
                log.exception("retention purge failed; it is tried again in %g s", PURGE_SECONDS)
            if stop.wait(PURGE_SECONDS):
                return

    thread = threading.Thread(target=loop, name="retention", daemon=True)
    thread.start()
    return thread
