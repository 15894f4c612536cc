"""Full-text search over OCR results: which document, which page, which word boxes.

One index in the application's database: SQLite (FTS5, or a portable inverted index where the
SQLite library has no FTS5) or PostgreSQL (`tsvector` with a GIN index). Its tables are under
Alembic with their own version table, so they live beside the rollout store's. May import
`kernel` and `engines` (the result model), nothing else of ours.
"""

from search.index import DEFAULT_LIMIT, MAX_LIMIT, SearchHit, SearchIndex, WordHit
from search.text import fold, query_terms, tokens

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "SearchHit", "SearchIndex", "WordHit", "fold", "query_terms", "tokens"]
