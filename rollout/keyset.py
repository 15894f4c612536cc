"""Keyset (cursor) pages over a query ordered newest first by an integer id: the admin's pairs and
audit log and the API's `GET /v1/pairs` page the same way.

A page holds the rows whose id is below the cursor; its `next_cursor` is the last row's id when
more rows follow, else None. Rows added meanwhile never shift a page (unlike OFFSET), and a page
costs one indexed range scan however deep it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select

from kernel.settings import whole_number

T = TypeVar("T")
#: ids are SQLite/PostgreSQL 64-bit integers
MAX_ID = 2**63 - 1


def parse_cursor(raw: str | None) -> int | None:
    """A `cursor` query parameter: absent or empty is the first page; else a whole number (400 otherwise)."""
    return whole_number(raw, "cursor", 1, MAX_ID) if raw else None


def after_cursor(query: Select, id_column: Any, cursor: int | None, limit: int) -> Select:
    """`query` (ordered by `id_column` descending) from below `cursor`, one row more than `limit`,
    so that `page_of` can tell whether another page follows."""
    if cursor is not None:
        query = query.where(id_column < cursor)
    return query.limit(limit + 1)


def page_of(rows: Sequence[T], limit: int, id_of: Callable[[T], int]) -> tuple[list[T], int | None]:
    """The rows of this page and the cursor of the next one (None on the last page)."""
    shown = list(rows[:limit])
    return shown, (id_of(shown[-1]) if len(rows) > limit and shown else None)
