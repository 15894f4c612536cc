"""Search indexes on every back end: SQLite with FTS5, SQLite without it (the portable inverted
index), PostgreSQL when it runs on localhost."""

from __future__ import annotations

import pytest

from engines.result import BBox, Block, Line, OcrResult, Page, Word
from search import SearchIndex
from tests.pdf.conftest import sample_page  # noqa: F401  (a fixture)
from tests.rollout_fixtures import POSTGRES, _drop_postgres, _fresh_postgres_url

BACKENDS = ["sqlite-fts5", "sqlite-terms", pytest.param("postgresql", marks=pytest.mark.postgres)]


def result(*pages: list[str]) -> OcrResult:
    """Pages of lines, each word 80×40 px on a 100×50 px grid."""
    built = []
    for lines in pages:
        built_lines = [Line(words=[Word(word, BBox(100 * i, 50 * row, 100 * i + 80, 50 * row + 40), 0.9)
                                   for i, word in enumerate(line.split())])
                       for row, line in enumerate(lines)]
        built.append(Page(width=1000, height=800, blocks=[Block(lines=built_lines)]))
    return OcrResult(engine="test", engine_version="1", pages=built)


@pytest.fixture
def postgres_url():
    if not POSTGRES:
        pytest.skip("PostgreSQL is not running on localhost (OCRGATE_TEST_POSTGRES)")
    url = _fresh_postgres_url()
    yield url
    _drop_postgres(url)


def open_index(backend: str, tmp_path, request) -> SearchIndex:
    """An empty index on `backend` (a fresh PostgreSQL database, dropped after the test)."""
    if backend == "postgresql":
        index = SearchIndex(request.getfixturevalue("postgres_url"))
    else:
        index = SearchIndex(tmp_path / f"{backend}.sqlite", fts5=backend == "sqlite-fts5")
    if index.backend != backend:
        pytest.skip(f"this process's SQLite has no FTS5 (got {index.backend})")
    request.addfinalizer(index.engine.dispose)
    return index


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def index(backend, tmp_path, request) -> SearchIndex:
    return open_index(backend, tmp_path, request)
