"""Opening the store: the database URL, engine settings per dialect, migrations, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from kernel.database import make_engine, run_migrations

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_database_url() -> str:
    """`OCRGATE_DATABASE_URL`, else a SQLite file in the user's data directory (created here)."""
    from kernel.settings import data_dir, load_settings

    settings = load_settings()
    if settings.database_url:
        return settings.database_url
    data_dir().mkdir(parents=True, exist_ok=True)
    return settings.database


def upgrade(engine: Engine) -> None:
    """Bring the store's schema to the newest migration (creates it on an empty database)."""
    run_migrations(engine, MIGRATIONS)


class Store:
    """The database handle shared by the router, the gates, the service and the dashboards."""

    def __init__(self, url: str | None = None, migrate: bool = True):
        self.url = url or default_database_url()
        self.engine = make_engine(self.url)
        if migrate:
            upgrade(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
