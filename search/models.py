"""The index's tables (all prefixed `search_`, so they sit beside the rollout store's).

On PostgreSQL `search_pages` also has `tsv`, a stored `tsvector` of `body` with a GIN index
(created by the migrations only there: `pages_tsv` below names it for queries). On SQLite with
FTS5, `search_pages_fts` is an external-content FTS5 table over `body` (see `search.index`).
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text, column, table
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class SearchBase(DeclarativeBase):
    """The index's own metadata: not the rollout store's, migrated by `search/migrations`."""


class IndexedDocument(SearchBase):
    __tablename__ = "search_documents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document: Mapped[str] = mapped_column(String, unique=True)
    engine: Mapped[str] = mapped_column(String)
    engine_version: Mapped[str] = mapped_column(String)
    indexed_at: Mapped[str] = mapped_column(String)  # ISO 8601, UTC, seconds


class IndexedPage(SearchBase):
    __tablename__ = "search_pages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("search_documents.id"), index=True)
    page: Mapped[int] = mapped_column(Integer)  # 1-based
    width: Mapped[int] = mapped_column(Integer)  # pixels of the upright page image
    height: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")  # the page's text as the engine read it
    body: Mapped[str] = mapped_column(Text, default="")  # its terms (search.text.tokens), space-separated
    length: Mapped[int] = mapped_column(Integer, default=0)  # how many terms


class IndexedWord(SearchBase):
    __tablename__ = "search_words"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("search_pages.id"), index=True)
    text: Mapped[str] = mapped_column(String)
    folded: Mapped[str] = mapped_column(String)  # the word's terms, space-separated
    x0: Mapped[int] = mapped_column(Integer)
    y0: Mapped[int] = mapped_column(Integer)
    x1: Mapped[int] = mapped_column(Integer)
    y1: Mapped[int] = mapped_column(Integer)


class Posting(SearchBase):
    """The inverted index: how often a term occurs on a page. Every back end ranks with it (so all
    rank alike); where SQLite has no FTS5 it is also what finds the pages."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(String, primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("search_pages.id"), primary_key=True, index=True)
    count: Mapped[int] = mapped_column(Integer)


class SearchState(SearchBase):
    """Flags about the index itself, e.g. `fts5_stale`: pages were written by a process whose
    SQLite had no FTS5, so the FTS5 table is rebuilt by the next process that has it."""

    __tablename__ = "search_state"

    name: Mapped[str] = mapped_column(String, primary_key=True)
    value: Mapped[str] = mapped_column(String)


#: `search_pages.tsv` (PostgreSQL only), for queries
pages_tsv = table("search_pages", column("id", Integer), column("tsv", TSVECTOR))
