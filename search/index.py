"""The search index: add OCR results, find the pages that hold every word of a query.

Three back ends find the pages, and all return the same hits in the same order:

- `sqlite-fts5`: an FTS5 table (`search_pages_fts`, external content over `search_pages.body`);
- `postgresql`: `search_pages.tsv`, a stored `tsvector` with a GIN index, matched by a `tsquery`;
- `sqlite-terms`: where this process's SQLite has no FTS5 (e.g. after `import tensorflow`, whose
  bundled SQLite lacks it), the inverted index `search_terms` alone, queried with SQLAlchemy.

All of them index the terms of `search.text.tokens` (no back end's own tokenizer or dictionary),
and every hit is ranked by one BM25 (FTS5's formula and constants: lower is better) computed from
`search_terms`, so the back ends differ in speed only. Snippets and word boxes are made here.

The FTS5 table is derived data: a process whose SQLite lacks FTS5 writes the other tables and
flags it stale (`search_state`); the next process that has FTS5 rebuilds it before using it.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import (
    ColumnElement,
    and_,
    cast,
    column,
    delete,
    func,
    insert,
    inspect,
    literal,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.engine import Connection, Engine

from engines.result import BBox, OcrResult, Page
from kernel.database import make_engine
from kernel.errors import OcrInputError
from search.database import fts5_available, upgrade
from search.models import (
    IndexedDocument,
    IndexedPage,
    IndexedWord,
    Posting,
    SearchState,
    pages_tsv,
)
from search.text import TOKEN, is_prefix, matches, query_terms, stem, tokens

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000
#: words of context in a snippet
SNIPPET_WORDS = 12
#: BM25 constants, FTS5's
K1, B = 1.2, 0.75

FTS_TABLE = "search_pages_fts"
#: the FTS5 table `pdf/search_index.py` kept before the index moved here (dropped once FTS5 is at hand)
LEGACY_FTS_TABLE = "search_fts"
FTS5_STALE = "fts5_stale"
_CREATE_FTS = text(
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    f"body, content='search_pages', content_rowid='id', tokenize='unicode61 remove_diacritics 0')"
)
_FTS_INSERT = text(f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (:rowid, :body)")
_FTS_DELETE = text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, body) VALUES ('delete', :rowid, :body)")
_FTS_REBUILD = text(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
#: the FTS5 table for queries: its hidden column of its own name is what MATCH takes
_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))

BACKENDS = ("sqlite-fts5", "sqlite-terms", "postgresql")


@dataclass(frozen=True)
class WordHit:
    text: str
    bbox: BBox  # pixels of the upright page image the engine read


@dataclass
class SearchHit:
    """One page that matches, best first; `words` are the matching words' boxes on it."""

    document: str
    page: int  # 1-based
    page_width: int  # pixels of the upright page, the frame of the boxes
    page_height: int
    score: float  # BM25 as FTS5 computes it: lower is better
    snippet: str
    words: list[WordHit] = field(default_factory=list)


class SearchIndex:
    """Add OCR results, search them. Safe to share; each call is its own transaction.

    `target`: a SQLAlchemy engine (e.g. the rollout store's), a database URL or a SQLite file
    path. The index's tables are migrated on open (`migrate=False` skips it). `fts5=False`
    ignores FTS5 even where SQLite has it (the back end a process without FTS5 gets)."""

    def __init__(self, target: Engine | str | os.PathLike[str], *, migrate: bool = True, fts5: bool = True):
        self.engine = target if isinstance(target, Engine) else make_engine(target)
        dialect = self.engine.dialect.name
        if dialect not in ("sqlite", "postgresql"):
            raise OcrInputError(f"the search index needs SQLite or PostgreSQL, not {dialect}")
        if migrate:
            upgrade(self.engine)
        if dialect == "postgresql":
            self.backend = "postgresql"
            return
        with self.engine.begin() as connection:
            self.backend = "sqlite-fts5" if fts5 and fts5_available(connection) else "sqlite-terms"
            if self.backend == "sqlite-fts5":
                _prepare_fts(connection)

    # -- writing -------------------------------------------------------------------------------

    def add(self, document: str, result: OcrResult) -> None:
        """Index every page of `result` as `document` (pages numbered from 1)."""
        self.add_pages(document, result.engine, result.engine_version, enumerate(result.pages, start=1))

    def add_pages(
        self, document: str, engine: str, engine_version: str, numbered_pages: Iterable[tuple[int, Page]]
    ) -> None:
        """Index the given (1-based number, page) pairs as `document`, replacing what it had."""
        with self.engine.begin() as connection:
            fts = self._fts_writer(connection)
            self._remove(connection, document, fts)
            document_id = connection.execute(
                insert(IndexedDocument)
                .values(
                    document=document,
                    engine=engine,
                    engine_version=engine_version,
                    indexed_at=datetime.now(UTC).isoformat(timespec="seconds"),
                )
                .returning(IndexedDocument.id)
            ).scalar_one()
            for number, page in numbered_pages:
                page_text = page.text
                body = tokens(page_text)
                page_id = connection.execute(
                    insert(IndexedPage)
                    .values(
                        document_id=document_id,
                        page=number,
                        width=page.width,
                        height=page.height,
                        text=page_text,
                        body=" ".join(body),
                        length=len(body),
                    )
                    .returning(IndexedPage.id)
                ).scalar_one()
                rows = [
                    {
                        "page_id": page_id,
                        "text": w.text,
                        "folded": " ".join(tokens(w.text)),
                        "x0": w.bbox.x0,
                        "y0": w.bbox.y0,
                        "x1": w.bbox.x1,
                        "y1": w.bbox.y1,
                    }
                    for w in page.words
                ]
                if rows:
                    connection.execute(insert(IndexedWord), rows)
                postings = [{"term": term, "page_id": page_id, "count": count} for term, count in Counter(body).items()]
                if postings:
                    connection.execute(insert(Posting), postings)
                if fts:
                    connection.execute(_FTS_INSERT, {"rowid": page_id, "body": " ".join(body)})

    def remove(self, document: str) -> None:
        with self.engine.begin() as connection:
            self._remove(connection, document, self._fts_writer(connection))

    def _fts_writer(self, connection: Connection) -> bool:
        """Whether this write keeps the FTS5 table; if it cannot, the table is flagged stale."""
        if self.backend == "sqlite-fts5":
            return True
        if self.backend == "sqlite-terms" and inspect(connection).has_table(FTS_TABLE):
            _set_state(connection, FTS5_STALE, datetime.now(UTC).isoformat(timespec="seconds"))
        return False

    @staticmethod
    def _remove(connection: Connection, document: str, fts: bool) -> None:
        found = connection.execute(
            select(IndexedPage.id, IndexedPage.body)
            .join(IndexedDocument, IndexedPage.document_id == IndexedDocument.id)
            .where(IndexedDocument.document == document)
        ).all()
        page_ids = [row.id for row in found]
        if fts:
            for row in found:
                connection.execute(_FTS_DELETE, {"rowid": row.id, "body": row.body})
        if page_ids:
            connection.execute(delete(Posting).where(Posting.page_id.in_(page_ids)))
            connection.execute(delete(IndexedWord).where(IndexedWord.page_id.in_(page_ids)))
            connection.execute(delete(IndexedPage).where(IndexedPage.id.in_(page_ids)))
        connection.execute(delete(IndexedDocument).where(IndexedDocument.document == document))

    # -- searching -----------------------------------------------------------------------------

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> list[SearchHit]:
        """Pages holding every word of `query`, best first, with the matching words' boxes."""
        if not 1 <= limit <= MAX_LIMIT:
            raise OcrInputError(f"the search limit must be from 1 to {MAX_LIMIT}, got {limit}")
        terms = query_terms(query)
        if not terms:
            raise OcrInputError(f"the search query {query!r} has no words")
        if self.backend == "sqlite-fts5":
            with self.engine.begin() as connection:
                _rebuild_fts_if_stale(connection)
        with self.engine.connect() as connection:
            totals = connection.execute(select(func.count(IndexedPage.id), func.avg(IndexedPage.length))).one()
            pages, mean_length = totals[0], totals[1]  # indexed: mypy reads an untyped Row's unpacking as `object`
            candidates = self._candidates(terms)
            score: ColumnElement | None = None
            statement = select(
                IndexedPage.id,
                IndexedDocument.document,
                IndexedPage.page,
                IndexedPage.width,
                IndexedPage.height,
                IndexedPage.text,
            ).join(IndexedDocument, IndexedPage.document_id == IndexedDocument.id)
            # BM25 as FTS5 computes it (k1 1.2, b 0.75, idf floored at 1e-6), from the postings
            length_norm = K1 * (1 - B) + IndexedPage.length * (K1 * B / float(mean_length or 1))
            for number, term in enumerate(terms):
                condition = self._term_condition(connection, term)
                having = connection.execute(
                    select(func.count(func.distinct(Posting.page_id))).where(condition)
                ).scalar()
                if not having:
                    return []  # every term must occur
                idf = max(math.log((pages - having + 0.5) / (having + 0.5)), 1e-6)
                postings = select(Posting.page_id, func.sum(Posting.count).label("tf")).where(condition)
                if candidates is not None:
                    postings = postings.where(Posting.page_id.in_(candidates))
                frequency = postings.group_by(Posting.page_id).subquery(f"tf{number}")
                statement = statement.join(frequency, frequency.c.page_id == IndexedPage.id)
                part = frequency.c.tf * (idf * (K1 + 1)) / (frequency.c.tf + length_norm)
                score = part if score is None else score + part
            assert score is not None
            ranked = (-score).label("score")
            found = connection.execute(
                statement.add_columns(ranked).order_by(ranked, IndexedDocument.document, IndexedPage.page).limit(limit)
            ).all()
            return [
                SearchHit(
                    row.document,
                    row.page,
                    row.width,
                    row.height,
                    float(row.score),
                    snippet(row.text, terms),
                    _matching_words(connection, row.id, terms),
                )
                for row in found
            ]

    def _term_condition(self, connection: Connection, term: str) -> ColumnElement[bool]:
        if not is_prefix(term):
            return Posting.term == term
        if connection.dialect.name == "sqlite":  # a range the primary key's index answers (BINARY collation)
            return and_(Posting.term >= stem(term), Posting.term < stem(term) + "\U0010ffff")
        return Posting.term.startswith(stem(term), autoescape=True)

    def _candidates(self, terms: list[str]):
        """The pages the back end's full-text index finds (None: the postings' joins alone)."""
        if self.backend == "sqlite-fts5":
            return select(_fts.c.rowid).where(_fts.c[FTS_TABLE].match(" ".join(_fts5_phrase(t) for t in terms)))
        if self.backend == "postgresql":
            return select(pages_tsv.c.id).where(pages_tsv.c.tsv.bool_op("@@")(cast(literal(tsquery(terms)), TSQUERY)))
        return None


def _fts5_phrase(term: str) -> str:
    """A term as an FTS5 string (so `AND`, `NEAR`, quotes are plain words), prefix kept."""
    return '"' + stem(term).replace('"', '""') + '"' + ("*" if is_prefix(term) else "")


def tsquery(terms: list[str]) -> str:
    """The terms as a `tsquery` of lexemes as they are (`'cafe' & 'mul':*`): no parser, no dictionary,
    so it matches `search_pages.tsv`, which holds the terms as they are too."""

    def lexeme(term: str) -> str:
        quoted = "'" + stem(term).replace("\\", "\\\\").replace("'", "''") + "'"
        return quoted + (":*" if is_prefix(term) else "")

    return " & ".join(lexeme(term) for term in terms)


def snippet(page_text: str, terms: list[str], words: int = SNIPPET_WORDS) -> str:
    """Up to `words` words of the page around the most matching terms, matches in [brackets],
    `…` where the page goes on."""
    parts = page_text.split()
    hits = [{term for term in terms for token in tokens(part) if matches(token, term)} for part in parts]
    start = 0
    if len(parts) > words:

        def value(begin: int) -> tuple[int, int]:
            window = hits[begin : begin + words]
            return len(set().union(*window)), sum(1 for found in window if found)

        start = max(range(len(parts) - words + 1), key=lambda begin: (value(begin), -begin))
    shown = []
    for part, found in zip(parts[start : start + words], hits[start : start + words], strict=True):
        if found:
            part = TOKEN.sub(
                lambda m: (
                    f"[{m.group()}]"
                    if any(matches(token, term) for token in tokens(m.group()) for term in terms)
                    else m.group()
                ),
                part,
            )
        shown.append(part)
    return ("…" if start > 0 else "") + " ".join(shown) + ("…" if start + words < len(parts) else "")


def _matching_words(connection: Connection, page_id: int, terms: list[str]) -> list[WordHit]:
    rows = connection.execute(select(IndexedWord).where(IndexedWord.page_id == page_id).order_by(IndexedWord.id)).all()
    return [
        WordHit(row.text, BBox(row.x0, row.y0, row.x1, row.y1))
        for row in rows
        if any(matches(token, term) for token in row.folded.split() for term in terms)
    ]


def _set_state(connection: Connection, name: str, value: str) -> None:
    connection.execute(delete(SearchState).where(SearchState.name == name))
    connection.execute(insert(SearchState).values(name=name, value=value))


def _prepare_fts(connection: Connection) -> None:
    """Make the FTS5 table (filling it from the pages) if missing; drop the pre-Alembic one."""
    tables = inspect(connection)
    if tables.has_table(LEGACY_FTS_TABLE):
        connection.execute(text(f"DROP TABLE {LEGACY_FTS_TABLE}"))
    if not tables.has_table(FTS_TABLE):
        connection.execute(_CREATE_FTS)
        _set_state(connection, FTS5_STALE, "created")
    _rebuild_fts_if_stale(connection)


def _rebuild_fts_if_stale(connection: Connection) -> None:
    stale = connection.execute(select(SearchState.value).where(SearchState.name == FTS5_STALE)).first()
    if stale is not None:
        connection.execute(_FTS_REBUILD)
        connection.execute(delete(SearchState).where(SearchState.name == FTS5_STALE))
