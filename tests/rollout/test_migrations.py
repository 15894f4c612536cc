"""Migration 0003 upgrades a store with traffic in it: pairs keep which run was the control."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from rollout.store import Store
from rollout.store.database import MIGRATIONS, make_engine
from rollout.store.models import EngineRun, Pair, Side


def _upgrade(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_pairs_written_before_0003_keep_their_control_and_candidate(store_url):
    _upgrade(store_url, "0002")
    engine = make_engine(store_url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO images (sha256, data, byte_size, created_at) VALUES ('d', :b, 1, CURRENT_TIMESTAMP)"),
                   {"b": b"x"})
        for rid in ("r1", "r2"):
            db.execute(text("INSERT INTO requests (id, created_at, gate, unit, category, image_sha256, width, height, "
                            "byte_size, decision, status, fell_back) VALUES (:id, CURRENT_TIMESTAMP, 'g', 'u', 'c', "
                            "'d', 1, 1, 1, 'x', 'served', false)"), {"id": rid})
        runs = [(1, "r1", "beta", "served"), (2, "r1", "alpha", "shadow"),   # the candidate served r1
                (3, "r2", "alpha", "served"), (4, "r2", "beta", "shadow")]  # the control served r2
        for run_id, rid, engine_name, role in runs:
            db.execute(text("INSERT INTO engine_runs (id, request_id, engine, role, latency_ms, created_at) "
                            "VALUES (:i, :r, :e, :role, 1, CURRENT_TIMESTAMP)"),
                       {"i": run_id, "r": rid, "e": engine_name, "role": role})
        for pair_id, rid, served, shadow in ((1, "r1", 1, 2), (2, "r2", 3, 4)):
            db.execute(text("INSERT INTO pairs (id, request_id, gate, category, kind, served_run_id, shadow_run_id, "
                            "control_engine, candidate_engine, exact_match, created_at) VALUES (:i, :r, 'g', 'c', "
                            "'candidate', :s, :h, 'alpha', 'beta', false, CURRENT_TIMESTAMP)"),
                       {"i": pair_id, "r": rid, "s": served, "h": shadow})
    engine.dispose()
    store = Store(store_url)  # upgrades to head
    with store.session() as session:
        first, second = session.get(Pair, 1), session.get(Pair, 2)
        assert (first.control_run_id, first.candidate_run_id, first.served_side) == (2, 1, Side.CANDIDATE)
        assert (second.control_run_id, second.candidate_run_id, second.served_side) == (3, 4, Side.CONTROL)
        assert session.get(EngineRun, 1).side is Side.CANDIDATE and session.get(EngineRun, 2).side is Side.CONTROL
    store.dispose()
