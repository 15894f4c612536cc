"""The index's tables under Alembic: beside the rollout store's in one database (their own version
table), and an index made before Alembic (pdf/search_index.py) adopted with its contents."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import inspect, text

from rollout.store import Store
from search import SearchIndex
from search.database import VERSION_TABLE, fts5_available
from tests.search.conftest import result


def test_the_index_lives_in_the_store_database(store_url):
    store = Store(store_url)
    index = SearchIndex(store.engine)
    index.add("request:1", result(["served words"]))
    assert index.backend in (("postgresql",) if store.dialect == "postgresql" else ("sqlite-fts5", "sqlite-terms"))
    with store.engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        assert {"alembic_version", VERSION_TABLE, "search_documents", "search_terms", "requests"} <= tables
        assert connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar() == "s0002"
        store_head = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    # opening both again, in either order, migrates nothing and keeps the data
    again = SearchIndex(Store(store_url).engine)
    assert [h.document for h in again.search("served")] == ["request:1"]
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == store_head
    store.dispose()


LEGACY = [  # the DDL pdf/search_index.py ran before the index moved (CREATE ... IF NOT EXISTS)
    ("CREATE TABLE search_documents (id INTEGER NOT NULL, document VARCHAR NOT NULL, engine VARCHAR NOT NULL, "
     "engine_version VARCHAR NOT NULL, indexed_at VARCHAR NOT NULL, PRIMARY KEY (id), UNIQUE (document))"),
    ("CREATE TABLE search_pages (id INTEGER NOT NULL, document_id INTEGER NOT NULL, page INTEGER NOT NULL, "
     "width INTEGER NOT NULL, height INTEGER NOT NULL, PRIMARY KEY (id), "
     "FOREIGN KEY(document_id) REFERENCES search_documents (id))"),
    "CREATE INDEX ix_search_pages_document_id ON search_pages (document_id)",
    ("CREATE TABLE search_words (id INTEGER NOT NULL, page_id INTEGER NOT NULL, text VARCHAR NOT NULL, "
     "folded VARCHAR NOT NULL, x0 INTEGER NOT NULL, y0 INTEGER NOT NULL, x1 INTEGER NOT NULL, y1 INTEGER NOT NULL, "
     "PRIMARY KEY (id), FOREIGN KEY(page_id) REFERENCES search_pages (id))"),
    "CREATE INDEX ix_search_words_page_id ON search_words (page_id)",
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize='unicode61 remove_diacritics 2')",
    "INSERT INTO search_documents VALUES (1, 'old.pdf', 'tesseract', '5.3.0', '2026-12-01T10:00:00+00:00')",
    "INSERT INTO search_pages VALUES (7, 1, 1, 1000, 800)",
    "INSERT INTO search_words VALUES (1, 7, 'Invoice', 'invoice', 0, 0, 80, 40)",
    "INSERT INTO search_words VALUES (2, 7, 'Café', 'cafe', 100, 0, 180, 40)",
    "INSERT INTO search_words VALUES (3, 7, '12.50', '12 50', 200, 0, 280, 40)",
    "INSERT INTO search_fts (rowid, body) VALUES (7, 'Invoice Café 12.50')",
]


def test_an_index_made_before_alembic_is_adopted(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as connection:
        if not connection.execute("SELECT sqlite_compileoption_used('ENABLE_FTS5')").fetchone()[0]:
            pytest.skip("this process's SQLite has no FTS5 to make the old index with")
        for statement in LEGACY:
            connection.execute(statement)
    for fts5 in (False, True):  # first opened where FTS5 is missing, then where it is at hand
        index = SearchIndex(path, fts5=fts5)
        (hit,) = index.search("cafe 12.50")
        assert (hit.document, hit.page, hit.page_width) == ("old.pdf", 1, 1000)
        assert [(w.text, w.bbox.x0) for w in hit.words] == [("Café", 100), ("12.50", 200)]
        assert hit.snippet == "Invoice [Café] [12].[50]"
        index.add("new.pdf", result(["another invoice"]))
        assert sorted(h.document for h in index.search("invoice")) == ["new.pdf", "old.pdf"]
    with index.engine.connect() as connection:
        assert fts5_available(connection)
        assert not inspect(connection).has_table("search_fts")   # the old FTS5 table is gone
