"""Everything the service holds for its lifetime: the store, the gate snapshot, the shadow
workers and the router. Built once per process; models load once through the engine registry."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from rollout.autorollback import check_and_roll_back
from rollout.router import Router
from rollout.schedule import Pilot
from rollout.shadow import ShadowRunner
from rollout.snapshot import GateSnapshot
from rollout.store import Store
from search import SearchIndex
from service.retention import start_purging
from service.settings import ServiceSettings

log = logging.getLogger(__name__)
MONITOR_SECONDS = 30.0
#: what a schedule's tick did that changes how requests are routed
MOVED = frozenset({"advanced", "rolled back"})


class OcrService:
    def __init__(self, settings: ServiceSettings):
        self.settings = settings
        self.store = Store(settings.database_url)
        self.snapshot = GateSnapshot(self.store, settings.gate_refresh_seconds)
        self.shadows = ShadowRunner(
            self.store,
            workers=settings.shadow_workers,
            queue_size=settings.shadow_queue,
            timeout=settings.shadow_timeout,
        )
        self.router = Router(
            self.store,
            self.snapshot,
            self.shadows,
            default_engine=settings.default_engine,
            serve_timeout=settings.serve_timeout,
        )
        # the search index lives in the store's database (SQLite FTS5 or PostgreSQL tsvector)
        self.search = SearchIndex(self.store.engine)
        self._stop = threading.Event()
        #: what else the service started that ends with it (the job back end adds its own)
        self.on_close: list[Callable[[], None]] = []
        if settings.start_workers:
            self.snapshot.start()
            self.shadows.start()  # its first sweep re-runs jobs a previous process left pending
            threading.Thread(target=self._monitor, name="gate-monitor", daemon=True).start()
            start_purging(self.store, self.search, settings.retention_days, self._stop)

    def _monitor(self) -> None:
        """Each round, per gate: the auto-rollback check (unless turned off), then one step of its
        schedule, if it has one."""
        pilot = Pilot(self.store)
        while not self._stop.wait(MONITOR_SECONDS):
            for name in self.snapshot.gates():
                try:
                    rolled_back = self.settings.auto_rollback and check_and_roll_back(self.store, name)
                    if rolled_back or pilot.tick(name) in MOVED:
                        self.snapshot.refresh()
                except Exception:
                    log.exception("monitoring gate %s failed", name)

    def close(self) -> None:
        for hook in self.on_close:
            hook()
        self._stop.set()
        self.snapshot.stop()
        self.shadows.stop()
        self.shadows.drain(timeout=5)
        self.store.dispose()
