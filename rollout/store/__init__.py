"""The rollout store: SQLAlchemy 2 models, sessions and Alembic migrations (SQLite or PostgreSQL)."""

from rollout.store.database import Store, default_database_url

__all__ = ["Store", "default_database_url"]
