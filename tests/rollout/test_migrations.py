"""Migrations upgrade stores with data in them: 0003 keeps which run of a pair was the control; 0004
gives existing tokens their scopes and makes token names unique among active tokens only (and back)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from rollout.store import Store
from rollout.store.database import MIGRATIONS, make_engine
from rollout.store.models import EngineRun, Pair, Side


def _upgrade(url: str, revision: str, downgrade: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = make_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if downgrade else command.upgrade)(config, revision)
    engine.dispose()


def test_pairs_written_before_0003_keep_their_control_and_candidate(store_url):
    _upgrade(store_url, "0002")
    engine = make_engine(store_url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO images (sha256, data, byte_size, created_at) "
                        "VALUES ('d', :b, 1, CURRENT_TIMESTAMP)"), {"b": b"x"})
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


def _tokens(url: str, sql: str = "SELECT name, scopes, revoked_at IS NOT NULL FROM api_tokens ORDER BY id") -> list:
    engine = make_engine(url)
    with engine.begin() as db:
        rows = [tuple(row) for row in db.execute(text(sql))]
    engine.dispose()
    return rows


def _insert_token(url: str, name: str, digest: str, revoked: bool) -> None:
    engine = make_engine(url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO api_tokens (name, token_sha256, scopes, created_at, revoked_at) VALUES "
                        f"(:n, :d, 'ocr', CURRENT_TIMESTAMP, {'CURRENT_TIMESTAMP' if revoked else 'NULL'})"),
                   {"n": name, "d": digest})
    engine.dispose()


def test_0004_scopes_existing_tokens_and_frees_revoked_names_and_back(store_url):
    _upgrade(store_url, "0003")
    engine = make_engine(store_url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO api_tokens (name, token_sha256, created_at, revoked_at) VALUES "
                        "('billing', 'h1', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP), "
                        "('replay', 'h2', CURRENT_TIMESTAMP, NULL)"))
    engine.dispose()
    _upgrade(store_url, "0004")
    # what the tokens could do before, less every client's pairs
    assert _tokens(store_url) == [("billing", "ocr read", True), ("replay", "ocr read", False)]
    _insert_token(store_url, "billing", "h3", revoked=False)  # a revoked client's name, reused
    with pytest.raises(IntegrityError):
        _insert_token(store_url, "billing", "h4", revoked=False)  # but only one active token per name
    _upgrade(store_url, "0003", downgrade=True)
    # names are unique again: the newest token of a name is kept
    assert _tokens(store_url, "SELECT name, token_sha256 FROM api_tokens ORDER BY id") == [("replay", "h2"),
                                                                                           ("billing", "h3")]
    Store(store_url).dispose()  # and up to the newest again
