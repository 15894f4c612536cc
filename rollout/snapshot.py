"""Gate decisions from an in-memory snapshot, refreshed in the background.

No database round trip per request: `decide` reads a dict. A background thread reloads the
gates every `refresh_seconds` (and `refresh()` can be called after a local change), so a change
made anywhere reaches every process within seconds.
"""

from __future__ import annotations

import logging
import threading

from rollout.gate_store import load_gates
from rollout.gates import Decision, GateConfig, decide
from rollout.store import Store

log = logging.getLogger(__name__)


class GateSnapshot:
    def __init__(self, store: Store, refresh_seconds: float = 2.0):
        self.store = store
        self.refresh_seconds = refresh_seconds
        self._gates: dict[str, GateConfig] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh()

    def refresh(self) -> None:
        with self.store.session() as session:
            self._gates = load_gates(session)  # one atomic reference swap: readers never see half a refresh

    def start(self) -> GateSnapshot:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="gate-snapshot", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.refresh_seconds):
            try:
                self.refresh()
            except Exception:  # the last good snapshot keeps serving while the database is away
                log.exception("gate snapshot refresh failed; keeping the previous snapshot")

    def gate(self, name: str) -> GateConfig | None:
        return self._gates.get(name)

    def gates(self) -> dict[str, GateConfig]:
        return dict(self._gates)

    def decide(self, gate: str, unit: str, category: str, request_key: str, default_engine: str) -> Decision:
        """The gate's decision; with no such gate, `default_engine` serves and nothing shadows."""
        config = self._gates.get(gate)
        if config is None:
            return Decision(default_engine, (), False, f"no gate {gate}")
        return decide(config, unit, category, request_key)
