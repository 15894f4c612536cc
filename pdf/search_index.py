"""A full-text index over OCR results: which document, which page, which word boxes.

SQLite FTS5 over each page's text, plus every word with its box, so a hit can be
highlighted. It takes a SQLAlchemy engine (e.g. the rollout store's, to live in the same
database) or a SQLite file path. Tables are created if missing; they are prefixed
`search_` so they sit beside other tables without clashing.

Queries are plain words (all must occur, in any order, diacritics and case ignored); a
trailing `*` makes a word a prefix. FTS5 operators in the input are treated as words, so
user input can never be a syntax error.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

import platformdirs
from sqlalchemy import (Column, ForeignKey, Integer, MetaData, String, Table, create_engine, delete, insert,
                        select, text)
from sqlalchemy.engine import Connection, Engine

from engines.result import BBox, OcrResult, Page
from kernel.errors import OcrInputError

#: the FTS5 tokenizer: Unicode word characters, case and diacritics folded
TOKENIZER = "unicode61 remove_diacritics 2"
DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
#: words of context on each side of a hit in the snippet
SNIPPET_WORDS = 12
_WORD = re.compile(r"\w+\*?")

metadata = MetaData()
documents = Table(
    "search_documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("document", String, nullable=False, unique=True),
    Column("engine", String, nullable=False),
    Column("engine_version", String, nullable=False),
    Column("indexed_at", String, nullable=False),
)
pages = Table(
    "search_pages", metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", Integer, ForeignKey("search_documents.id"), nullable=False, index=True),
    Column("page", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
)
words = Table(
    "search_words", metadata,
    Column("id", Integer, primary_key=True),
    Column("page_id", Integer, ForeignKey("search_pages.id"), nullable=False, index=True),
    Column("text", String, nullable=False),
    Column("folded", String, nullable=False),   # the word's tokens, folded as FTS5 folds them
    Column("x0", Integer, nullable=False), Column("y0", Integer, nullable=False),
    Column("x1", Integer, nullable=False), Column("y1", Integer, nullable=False),
)
_CREATE_FTS = text(f"CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(body, tokenize='{TOKENIZER}')")
_INSERT_FTS = text("INSERT INTO search_fts (rowid, body) VALUES (:rowid, :body)")
_DELETE_FTS = text("DELETE FROM search_fts WHERE rowid = :rowid")
_MATCH = text(f"""
    SELECT p.id AS page_id, d.document, p.page, p.width, p.height, bm25(search_fts) AS score,
           snippet(search_fts, 0, '[', ']', '…', {SNIPPET_WORDS}) AS snippet
    FROM search_fts
    JOIN search_pages AS p ON p.id = search_fts.rowid
    JOIN search_documents AS d ON d.id = p.document_id
    WHERE search_fts MATCH :query ORDER BY score LIMIT :limit""")


@dataclass(frozen=True)
class WordHit:
    text: str
    bbox: BBox  # pixels of the upright page image the engine read


@dataclass
class SearchHit:
    """One page that matches, best first; `words` are the matching words' boxes on it."""

    document: str
    page: int           # 1-based
    page_width: int     # pixels of the upright page, the frame of the boxes
    page_height: int
    score: float        # FTS5 bm25: lower is better
    snippet: str
    words: list[WordHit] = field(default_factory=list)


def default_index_path() -> Path:
    """`OCRGATE_SEARCH_INDEX`, else `search.sqlite` in the user's data directory."""
    return Path(os.environ.get("OCRGATE_SEARCH_INDEX",
                               Path(platformdirs.user_data_dir("ocrgate")) / "search.sqlite"))


def fold(value: str) -> str:
    """Case and diacritics folded, as the index's tokenizer does."""
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def query_terms(query: str) -> list[str]:
    """The query's words, folded; a word may end in `*` (prefix)."""
    return [fold(term) for term in _WORD.findall(query)]


class SearchIndex:
    """Add OCR results, search them. Safe to share; each call is its own transaction."""

    def __init__(self, target: Engine | str | Path):
        if isinstance(target, Engine):
            self.engine = target
        else:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(f"sqlite:///{Path(target)}")
        if self.engine.dialect.name != "sqlite":
            raise OcrInputError(f"the search index needs SQLite (FTS5), not {self.engine.dialect.name}")
        with self.engine.begin() as connection:
            metadata.create_all(connection)
            connection.execute(_CREATE_FTS)

    def add(self, document: str, result: OcrResult) -> None:
        """Index every page of `result` as `document` (pages numbered from 1)."""
        self.add_pages(document, result.engine, result.engine_version, enumerate(result.pages, start=1))

    def add_pages(self, document: str, engine: str, engine_version: str,
                  numbered_pages: Iterable[tuple[int, Page]]) -> None:
        """Index the given (1-based number, page) pairs as `document`, replacing what it had."""
        with self.engine.begin() as connection:
            self._remove(connection, document)
            document_id = connection.execute(insert(documents).values(
                document=document, engine=engine, engine_version=engine_version,
                indexed_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))).inserted_primary_key[0]
            for number, page in numbered_pages:
                page_id = connection.execute(insert(pages).values(
                    document_id=document_id, page=number, width=page.width, height=page.height)
                ).inserted_primary_key[0]
                rows = [dict(page_id=page_id, text=w.text, folded=" ".join(query_terms(w.text)),
                             x0=w.bbox.x0, y0=w.bbox.y0, x1=w.bbox.x1, y1=w.bbox.y1) for w in page.words]
                if rows:
                    connection.execute(insert(words), rows)
                connection.execute(_INSERT_FTS, {"rowid": page_id, "body": page.text})

    def remove(self, document: str) -> None:
        with self.engine.begin() as connection:
            self._remove(connection, document)

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
        """Pages holding every word of `query`, best first, with the matching words' boxes."""
        if not 1 <= limit <= MAX_LIMIT:
            raise OcrInputError(f"the search limit must be from 1 to {MAX_LIMIT}, got {limit}")
        terms = query_terms(query)
        if not terms:
            raise OcrInputError(f"the search query {query!r} has no words")
        match = " ".join(_quoted(term) for term in terms)
        with self.engine.connect() as connection:
            found = connection.execute(_MATCH, {"query": match, "limit": limit}).all()
            return [SearchHit(row.document, row.page, row.width, row.height, float(row.score), row.snippet,
                              _matching_words(connection, row.page_id, terms)) for row in found]

    @staticmethod
    def _remove(connection: Connection, document: str) -> None:
        ids = select(pages.c.id).join(documents, pages.c.document_id == documents.c.id).where(
            documents.c.document == document)
        for (page_id,) in connection.execute(ids).all():
            connection.execute(_DELETE_FTS, {"rowid": page_id})
            connection.execute(delete(words).where(words.c.page_id == page_id))
        connection.execute(delete(pages).where(pages.c.id.in_(ids)))
        connection.execute(delete(documents).where(documents.c.document == document))


def _quoted(term: str) -> str:
    """A term as an FTS5 string (so `AND`, `NEAR`, quotes are plain words), prefix kept."""
    word, star = (term[:-1], "*") if term.endswith("*") else (term, "")
    return '"' + word.replace('"', '""') + '"' + star


def _matching_words(connection: Connection, page_id: int, terms: list[str]) -> list[WordHit]:
    def matches(folded: str) -> bool:
        tokens = folded.split()
        return any(token.startswith(term[:-1]) if term.endswith("*") else token == term
                   for term in terms for token in tokens)

    rows = connection.execute(select(words).where(words.c.page_id == page_id).order_by(words.c.id)).all()
    return [WordHit(row.text, BBox(row.x0, row.y0, row.x1, row.y1)) for row in rows if matches(row.folded)]

