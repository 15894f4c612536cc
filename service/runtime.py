"""Everything the service holds for its lifetime: the store, the gate snapshot, the shadow
workers and the router. Built once per process; models load once through the engine registry."""

from __future__ import annotations

import logging
import threading

from rollout.autorollback import check_and_roll_back
from rollout.router import Router
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from search import SearchIndex
from service.settings import ServiceSettings

log = logging.getLogger(__name__)
MONITOR_SECONDS = 30.0


class OcrService:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.store = Store(settings.database_url)
        self.snapshot = GateSnapshot(self.store, settings.gate_refresh_seconds)
        self.shadows = ShadowRunner(self.store, workers=settings.shadow_workers, queue_size=settings.shadow_queue,
                                    timeout=settings.shadow_timeout)
        self.router = Router(self.store, self.snapshot, self.shadows, default_engine=settings.default_engine,
                             serve_timeout=settings.serve_timeout)
        # the search index lives in the store's database (SQLite FTS5 or PostgreSQL tsvector)
        self.search = SearchIndex(self.store.engine)
        self._stop = threading.Event()
        if settings.start_workers:
            self.snapshot.start()
            self.shadows.start()  # its first sweep re-runs jobs a previous process left pending
            if settings.auto_rollback:
                threading.Thread(target=self._monitor, name="auto-rollback", daemon=True).start()

    def _monitor(self) -> None:
        while not self._stop.wait(MONITOR_SECONDS):
            for name in self.snapshot.gates():
                try:
                    if check_and_roll_back(self.store, name):
                        self.snapshot.refresh()
                except Exception:
                    log.exception("auto-rollback check of gate %s failed", name)

    def close(self) -> None:
        self._stop.set()
        self.snapshot.stop()
        self.shadows.stop()
        self.shadows.drain(timeout=5)
        self.store.dispose()
